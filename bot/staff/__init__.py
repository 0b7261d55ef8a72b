"""Staff: granted roles (bot/staff/roles.py); the audit log itself is core (bot/users.py)."""
