"""Purchase orders: domain rules, data access and API edge shared by every function."""
