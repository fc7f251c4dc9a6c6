"""Spiders: one base per site family, each site a row (see ``postcrawl.sites``)."""
