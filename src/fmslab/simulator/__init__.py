"""FMS API simulator: device models, fault injection and the HTTP server."""
