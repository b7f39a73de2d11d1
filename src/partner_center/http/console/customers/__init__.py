"""Sales > Customers > Customer Management and Customer Development (invitations)."""
