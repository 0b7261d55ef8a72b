"""政策问答 services: answers, left questions and their replies, statutes, the kb commands."""
