"""Pure extraction: bytes and text in, plain facts out. No network, database or messaging imports here."""
