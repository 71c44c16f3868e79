"""Common code of every xunjian service: event contracts, topology, settings, logging, database, clock."""
