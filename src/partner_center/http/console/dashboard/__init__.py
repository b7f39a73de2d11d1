"""Sales > Operations Dashboard: customer counts, budget use, expenditure trend (server-drawn SVG)."""
