"""What the backend and the auth service share: settings, the guarded pool, the web plumbing."""
