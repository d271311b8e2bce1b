"""API Gateway's routing of a REST API: a method and path to the template route (and so the
function) that serves it, with its path parameters. The local gateway and the tests' in-process
API calls route with it, so both pick the route API Gateway would pick."""

from __future__ import annotations

from dataclasses import dataclass

from local import template


@dataclass(frozen=True)
class Endpoint:
    route: template.Route
    authorizer: str | None
    segments: tuple[str, ...]
    api_key_required: bool = False  # the caller must send an API key of a usage plan (x-api-key)

    def match(self, parts: list[str]) -> dict[str, str] | None:
        """Path parameters if the request path's segments fit this route's template path."""
        params: dict[str, str] = {}
        for index, segment in enumerate(self.segments):
            if segment.startswith("{") and segment.endswith("+}"):
                rest = parts[index:]
                if not rest or not all(rest):
                    return None
                params[segment[1:-2]] = "/".join(rest)
                return params
            if index >= len(parts):
                return None
            if segment.startswith("{") and segment.endswith("}"):
                if not parts[index]:
                    return None
                params[segment[1:-1]] = parts[index]
            elif segment != parts[index]:
                return None
        return params if len(parts) == len(self.segments) else None

    @property
    def specificity(self) -> tuple[int, ...]:
        """API Gateway prefers literal segments over {param} over {greedy+}, left to right."""
        return tuple(
            2 if segment.endswith("+}") else 1 if segment.startswith("{") else 0 for segment in self.segments
        )


@dataclass
class Match:
    endpoint: Endpoint
    path_parameters: dict[str, str]


@dataclass
class MethodNotAllowed:
    allowed: list[str]


class Router:
    def __init__(self, endpoints: list[Endpoint]) -> None:
        self.endpoints = sorted(endpoints, key=lambda endpoint: endpoint.specificity)

    @classmethod
    def from_template(cls, routes: list[template.Route] | None = None) -> Router:
        return cls(
            [
                Endpoint(
                    route,
                    template.route_authorizer(route),
                    tuple(_segments(route.path)),
                    template.route_api_key_required(route),
                )
                for route in (routes if routes is not None else template.routes())
            ]
        )

    def match(self, method: str, path: str) -> Match | MethodNotAllowed | None:
        parts = _segments(path)
        allowed: list[str] = []
        best: tuple[int, ...] | None = None
        for endpoint in self.endpoints:
            params = endpoint.match(parts)
            if params is None or (best is not None and endpoint.specificity != best):
                continue
            best = endpoint.specificity  # the most specific resource wins, then its methods
            if endpoint.route.method in (method, "ANY"):
                return Match(endpoint, params)
            allowed.append(endpoint.route.method)
        return MethodNotAllowed(sorted(set(allowed))) if allowed else None


def _segments(path: str) -> list[str]:
    return path.split("/")[1:] if path.startswith("/") else path.split("/")
