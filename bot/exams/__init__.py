"""监督抽考 services: the bank, papers, sittings, drafts, records and exports, the CLI."""
