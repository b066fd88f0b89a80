"""A screening's public address: /screenings/<id>/<slug>, the slug made from its title and city."""

from functools import lru_cache

from slugify import slugify

from ...models import Screening


@lru_cache(maxsize=4096)  # a pure function of two strings; slugify runs a dozen regexes
def slug(display_title: str, city_name: str) -> str:
    """The slug after the id; decoration that the public page corrects when it is wrong."""
    return slugify(f"{display_title} {city_name}")


def public_path(screening: Screening) -> str:
    """The screening's public page path with its slug."""
    return f"/screenings/{screening.id}/{slug(screening.display_title, screening.city.name)}"
