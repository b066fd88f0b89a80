"""A bare Flask app with one route: the baseline bench/public.py compares the public pages with."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    """The cheapest answer Flask can give."""
    return "hello"
