"""postcrawl: a Scrapy crawler and deduplicated text archive of Chinese postal-bureau news."""

__version__ = "0.1.0"
