"""Who the client is, for the request throttles and the password lockout.

Behind a proxy every request comes from the proxy's address; the client's is in a header the
proxy writes. Two ways to read it, chosen in settings and never both:

- DJANGO_CLIENT_IP_HEADER names a header that the platform's proxy sets to the client's
  address (Fly.io: Fly-Client-IP). It is trusted as it is, so set it only where every request
  passes that proxy.
- Otherwise DJANGO_NUM_PROXIES says how many proxies append to X-Forwarded-For (nginx: 1), and
  DRF takes the entry that the first of them appended. 0 ignores the header.

An IPv6 client is counted by its /64 network: one subscriber gets a whole /64 and may change
address inside it at will, so a count per address would never add up.
"""

import ipaddress

from django.conf import settings
from rest_framework import throttling


def client_address(request):
    """The client's IPv4 address, or its IPv6 /64 network ("2001:db8:1:2::/64")."""
    header = settings.CLIENT_IP_HEADER
    if header:
        claimed = request.META.get("HTTP_" + header.upper().replace("-", "_"), "")
    else:
        claimed = throttling.BaseThrottle().get_ident(request)  # DJANGO_NUM_PROXIES
    # Anything that is not an address (garbage in the header) counts as the connection's.
    for candidate in (claimed or "", request.META.get("REMOTE_ADDR") or ""):
        try:
            return address_key(candidate)
        except ValueError:
            continue
    return "unknown"  # e.g. Gunicorn on a Unix socket: such clients share one count


def address_key(text):
    """An IPv4 address as it is; an IPv6 address as its /64 network. ValueError if neither."""
    if "/" in text:  # a network already, as the admin lists them
        return str(ipaddress.ip_network(text.strip(), strict=False))
    address = ipaddress.ip_address(text.strip())
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address.version == 4:
        return str(address)
    return str(ipaddress.ip_network(f"{address}/64", strict=False))


class ScopedRateThrottle(throttling.ScopedRateThrottle):
    """DRF's per-view rate throttle, counting per client as client_address() tells them."""

    def get_ident(self, request):
        return client_address(request)
