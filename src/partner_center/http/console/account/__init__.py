"""Account: members and roles, access keys (every account kind)."""
