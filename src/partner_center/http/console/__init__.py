"""The web console: server-rendered pages (Jinja2 + HTMX) for partners, customers and the
operator, one folder per menu area, in English and Chinese.

Pages call the same services (``partner_center.services``) as the API and hold no business
rule: a form is read, the service is called, and a ``DomainError`` is shown beside the field at
fault with the same error code the API answers. ``kit/`` holds what every area shares: the
page decorator (session, CSRF, caller kind, one unit of work), templating and translations,
and the navigation; ``site.py`` mounts it all on the ASGI app.
"""
