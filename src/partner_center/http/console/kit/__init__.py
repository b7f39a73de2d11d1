"""What every console area shares: pages, sessions, forms, translations, navigation."""
