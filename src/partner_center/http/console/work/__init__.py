"""Long work with visible progress: catalogue imports, account-statement exports, bill runs."""
