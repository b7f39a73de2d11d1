"""A distributor's resellers: their permissions and budget quotas, and their customers."""
