"""你点我检 services: campaigns, ballots and votes, results and exports, the builder, the CLI."""
