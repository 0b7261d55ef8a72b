"""The durable inbox: updates are stored before Telegram is told they arrived, then claimed.

store.py is the table's work (no telegram); retry.py decides which failures are retried;
consumer.py feeds claimed rows to the Application; polling.py and webhook.py fill the inbox.
"""
