"""Owner credentials: password hashing, token generation, login rate limiting."""
