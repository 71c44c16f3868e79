"""The web console: server-rendered pages over the other services' APIs, called with the signed-in user's token."""
