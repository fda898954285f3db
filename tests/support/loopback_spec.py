"""The ``loopback`` tool spec: every API of the test tool server (``support.tool_server``)."""

from __future__ import annotations

from pathlib import Path

#: A tool spec for this server (tool ``loopback``); ``base_url`` is filled in by :func:`write_spec`.
#: The API key goes in the ``X-Api-Key`` header from the ``LOOPBACK_API_KEY`` environment variable.
SPEC_TEMPLATE = """\
name: loopback
description: Test APIs served on 127.0.0.1 by the umi test suite.
base_url: {base_url}
auth: {{type: api_key, in: header, name: X-Api-Key, env: LOOPBACK_API_KEY}}
headers: {{X-Client: umi-tests}}
timeout: {timeout}
retries: 2
apis:
  - name: search tracks
    description: Search music tracks by words of their title.
    path: /music/search
    parameters:
      - {{name: q, in: query, required: true, description: words of the title}}
      - name: limit
        in: query
        schema: {{type: integer, default: 10}}
        description: at most this many
    response: {{keep: data, fields: [id, title, artist]}}
  - name: get track
    description: One track by its id.
    path: /music/track/{{id}}
    parameters:
      - {{name: id, in: path, required: true, schema: {{type: integer}}}}
  - name: current weather
    description: The current weather of a city.
    path: /weather/current
    parameters:
      - {{name: city, in: query, required: true, description: city name}}
      - name: units
        in: query
        schema: {{type: string, enum: [metric, imperial]}}
  - name: add note
    description: Store a note.
    method: POST
    path: /notes
    parameters:
      - {{name: text, in: body, required: true}}
      - {{name: tags, in: body, schema: {{type: array, items: {{type: string}}}}}}
  - name: echo
    description: Echo the request back.
    path: /echo/{{segment}}
    parameters:
      - {{name: segment, in: path, required: true}}
      - {{name: from, in: query}}
  - {{name: plain text, description: A text/plain answer., path: /text}}
  - {{name: fail, description: Always HTTP 500., path: /fault/500}}
  - {{name: flaky, description: HTTP 500 once then fine., path: /fault/flaky}}
  - {{name: rate limited, description: HTTP 429 once then fine., path: /fault/429}}
  - name: quota exceeded
    description: HTTP 429 with a long Retry-After.
    path: /fault/429-always
  - name: slow
    description: Answers after a delay.
    path: /fault/slow
    parameters:
      - {{name: seconds, in: query, schema: {{type: number}}}}
  - {{name: invalid json, description: A broken JSON body., path: /fault/invalid-json}}
  - name: huge
    description: A body of many megabytes.
    path: /fault/huge
    parameters:
      - {{name: mb, in: query, schema: {{type: integer}}}}
  - {{name: redirect away, description: Redirects to another host., path: /fault/redirect-away}}
  - {{name: redirect home, description: Redirects within the host., path: /fault/redirect-home}}
  - {{name: redirect file, description: Redirects to a file URL., path: /fault/redirect-file}}
  - {{name: down, description: Fails while the server is marked down., path: /weather/down}}
  - {{name: echo key, description: Echoes the API key., path: /fault/echo-key}}
  - {{name: redirect key, description: Redirects home with the key., path: /fault/redirect-key}}
  - {{name: long key, description: The key across the cut., path: /fault/long-key}}
  - name: nested
    description: Deeply nested JSON.
    path: /fault/nested
    parameters:
      - {{name: depth, in: query, schema: {{type: integer}}}}
  - {{name: zipped, description: A gzip body., path: /fault/gzip}}
  - {{name: gzip bomb, description: Stacked gzip of zeros., path: /fault/gzip-bomb}}
  - name: trickle
    description: One byte at a time.
    path: /fault/trickle
    parameters:
      - {{name: seconds, in: query, schema: {{type: number}}}}
  - {{name: empty, description: An empty JSON body., path: /fault/empty}}
"""


def write_spec(folder: Path, base_url: str, *, timeout: float = 2.0) -> Path:
    """Write ``loopback.yaml`` for a running server into ``folder`` and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "loopback.yaml"
    path.write_text(SPEC_TEMPLATE.format(base_url=base_url, timeout=timeout), encoding="utf-8")
    return path


__all__ = ["SPEC_TEMPLATE", "write_spec"]
