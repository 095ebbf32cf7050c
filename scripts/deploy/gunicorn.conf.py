"""gunicorn settings for production: limits on the request line and the headers.

    gunicorn -c scripts/deploy/gunicorn.conf.py cms.wsgi:application

gunicorn has no limit on the body: the proxy in front (``nginx.conf`` here,
``client_max_body_size``) and the application (``cms.request_size``: a 413 before the body is
read, per path) limit it. The same limits as flags:

    --limit-request-line 4094 --limit-request-fields 100 --limit-request-field_size 8190

Workers, threads and the bind address stay on the command line or in the environment
(``GUNICORN_CMD_ARGS``), as ``scripts/serve_prod.sh`` passes them.
"""

# Bytes in the request line (method, path and query string, protocol). The longest admin
# listing address with its filters stays well under it; a search is at most 200 characters.
limit_request_line = 4094
# Header fields per request (browsers send about 20; a proxy adds a few).
limit_request_fields = 100
# Bytes in one header field, the Cookie header included.
limit_request_field_size = 8190
# A client that sends its request (headers and body) slower than this loses the worker.
timeout = 30
