"""The Kardow API emulator: `POST /webhooks` as documented, plus our list/get/patch/delete."""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiohttp import web

from hookscope.core.model import Target
from hookscope.core.registration import Registration, check_secret, parse_body, validate_request
from hookscope.net.capture_server import ListenError, bind_socket
from hookscope.net.guard import ConnectionGuard, GuardedSite, GuardLimits
from hookscope.net.runtime import quiet_parse_errors

log = logging.getLogger(__name__)

API_BODY_LIMIT = 64 * 1024
HEAD_TIMEOUT = 10.0  # seconds a connection may take to send a request head
IDLE_TIMEOUT = 15.0  # seconds a keep-alive connection may wait for its next request
REQUEST_DEADLINE = 15.0  # seconds from a request's head to its answer, body included
KEY_HEADER = "x-api-key"
EXTENSION_HEADER = "X-Hookscope-Extension"
NOTE_HEADER = "X-Hookscope-Note"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Registry(Protocol):
    """What the emulator needs of the engine: key checks and the targets table."""

    def api_key_state(self, key: str | None) -> str | None:
        """None when `key` is accepted, else "unconfigured", "missing" or "unknown"."""

    async def register(self, registration: Registration) -> tuple[Target, bool]: ...

    async def list_targets(self) -> list[Target]: ...

    async def target(self, target_id: str) -> Target | None: ...

    async def update_target(
        self, target_id: str, *, enabled: bool | None, secret: str | None, clear_secret: bool
    ) -> Target | None: ...

    async def remove_target(self, target_id: str) -> bool: ...


class ApiError(Exception):
    def __init__(
        self, status: int, code: str, message: str, fields: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields is not None:
        error["fields"] = fields
    return {"error": error}


UNAUTHORIZED = {
    "unconfigured": (
        "No API key is configured for this emulator, so every request is refused: start it with"
        " `hookscope serve --api-key KEY`, or add a key in Settings."
    ),
    "missing": "The x-api-key header is missing.",
    "unknown": "The x-api-key header does not match a configured API key.",
}


def same_key(given: str, expected: str) -> bool:
    """Constant-time comparison; a header's bytes that are not UTF-8 simply do not match."""
    return hmac.compare_digest(
        given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
    )


class KardowApi:
    """The emulator's HTTP server.

    Attributes:
        port: the bound port (known after `start`).
    """

    def __init__(
        self, host: str, port: int, registry: Registry, *, max_connections: int = 128
    ) -> None:
        self.host = host
        self.port = port
        self._registry = registry
        self._max_connections = max_connections
        self._runner: web.AppRunner | None = None
        self.guard: ConnectionGuard | None = None

    @property
    def url(self) -> str:
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{shown}:{self.port}"

    @property
    def running(self) -> bool:
        return self._runner is not None

    def app(self) -> web.Application:
        app = web.Application(
            client_max_size=API_BODY_LIMIT, middlewares=[self._deadline, self._errors, self._auth]
        )
        app.router.add_post("/webhooks", self.register)
        app.router.add_get("/webhooks", self.list_targets)
        app.router.add_get("/webhooks/{id}", self.get_target)
        app.router.add_patch("/webhooks/{id}", self.patch_target)
        app.router.add_delete("/webhooks/{id}", self.delete_target)
        return app

    async def start(self) -> None:
        self._runner = web.AppRunner(
            self.app(), access_log=None, shutdown_timeout=5.0, keepalive_timeout=IDLE_TIMEOUT
        )
        await self._runner.setup()
        quiet_parse_errors()
        try:
            sock = bind_socket(self.host, self.port)
        except OSError as exc:
            await self._runner.cleanup()
            self._runner = None
            reason = exc.strerror or str(exc)
            raise ListenError(
                f"Cannot start the Kardow API emulator on {self.host}:{self.port}: {reason}."
            ) from exc
        self.port = sock.getsockname()[1]
        server = self._runner.server
        assert server is not None
        self.guard = ConnectionGuard(
            server, GuardLimits(max_connections=self._max_connections, head_timeout=HEAD_TIMEOUT)
        )
        await GuardedSite(self._runner, self.guard.protocol, sock).start()
        self.guard.start()

    async def stop(self) -> None:
        if self.guard is not None:
            self.guard.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- middlewares ------------------------------------------------------------------------

    @web.middleware
    async def _deadline(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """A request is answered within REQUEST_DEADLINE, however slowly its body arrives."""
        assert self.guard is not None
        with self.guard.active(request.protocol):
            try:
                async with asyncio.timeout(REQUEST_DEADLINE):
                    return await handler(request)
            except TimeoutError:
                response = web.json_response(
                    error_body(
                        "request_timeout",
                        f"The request did not arrive whole within {REQUEST_DEADLINE:g} s.",
                    ),
                    status=408,
                )
                response.force_close()
                return response

    @web.middleware
    async def _errors(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """Every answer is JSON in Kardow's error shape; nothing ever becomes a bare 500."""
        try:
            return await handler(request)
        except ApiError as exc:
            return web.json_response(
                error_body(exc.code, exc.message, exc.fields), status=exc.status
            )
        except web.HTTPRequestEntityTooLarge:
            return web.json_response(
                error_body("body_too_large", f"The body is over {API_BODY_LIMIT} bytes."),
                status=413,
            )
        except web.HTTPMethodNotAllowed as exc:
            allowed = ", ".join(sorted(exc.allowed_methods))
            response = web.json_response(
                error_body(
                    "method_not_allowed", f"{request.method} is not allowed here; use {allowed}."
                ),
                status=405,
            )
            response.headers["Allow"] = allowed
            return response
        except web.HTTPNotFound:
            return web.json_response(
                error_body(
                    "not_found",
                    f"No such endpoint: {request.method} {request.path}. The emulator serves"
                    " POST /webhooks, and (our extensions) GET /webhooks and"
                    " GET/PATCH/DELETE /webhooks/{id}.",
                ),
                status=404,
            )
        except Exception as exc:
            log.exception("kardow api")
            return web.json_response(
                error_body("unavailable", f"The emulator could not do that: {exc}"), status=503
            )

    @web.middleware
    async def _auth(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        # Kardow checks the key before anything else, unknown paths included.
        state = self._registry.api_key_state(request.headers.get(KEY_HEADER))
        if state is not None:
            raise ApiError(401, "unauthorized", UNAUTHORIZED[state])
        return await handler(request)

    # -- endpoints --------------------------------------------------------------------------

    async def register(self, request: web.Request) -> web.Response:
        body = await _json(request)
        registration = validate_request(body)
        if isinstance(registration, dict):
            raise ApiError(422, "invalid_fields", _fields_message(registration), registration)
        target, created = await self._registry.register(registration)
        response = web.json_response({"data": target.as_json()}, status=201 if created else 200)
        if not created and registration.secret is not None and target.secret != registration.secret:
            # Kardow returns the existing subscription as it is; a caller sending a new secret
            # would otherwise believe it in force. Said in a header: the body stays Kardow's.
            response.headers[NOTE_HEADER] = (
                "This subscription already existed and keeps its secret; the secret sent was "
                f"not stored. Change it with PATCH /webhooks/{target.id}."
            )
        return response

    async def list_targets(self, request: web.Request) -> web.Response:
        targets = await self._registry.list_targets()
        return _extension({"data": [target.as_json() for target in targets]})

    async def get_target(self, request: web.Request) -> web.Response:
        target = await self._registry.target(request.match_info["id"])
        if target is None:
            raise _no_target(request)
        return _extension({"data": target.as_json()})

    async def patch_target(self, request: web.Request) -> web.Response:
        body = await _json(request)
        if not isinstance(body, dict):
            raise ApiError(
                422, "invalid_fields", "Send a JSON object.", {"body": "must be an object"}
            )
        fields: dict[str, str] = {}
        unknown = sorted(set(body) - {"is_enabled", "secret"})
        for name in unknown:
            fields[name] = "cannot be changed; PATCH takes is_enabled and secret"
        enabled = body.get("is_enabled")
        if "is_enabled" in body and not isinstance(enabled, bool):
            fields["is_enabled"] = "must be true or false"
        secret = body.get("secret")
        if "secret" in body and (why := check_secret(secret)):
            fields["secret"] = why
        if not body:
            fields["body"] = "name at least one of is_enabled and secret"
        if fields:
            raise ApiError(422, "invalid_fields", _fields_message(fields), fields)
        target = await self._registry.update_target(
            request.match_info["id"],
            enabled=enabled if isinstance(enabled, bool) else None,
            secret=secret if isinstance(secret, str) else None,
            clear_secret="secret" in body and secret is None,
        )
        if target is None:
            raise _no_target(request)
        return _extension({"data": target.as_json()})

    async def delete_target(self, request: web.Request) -> web.Response:
        if not await self._registry.remove_target(request.match_info["id"]):
            raise _no_target(request)
        response = web.Response(status=204)
        response.headers[EXTENSION_HEADER] = "true"
        return response


async def _json(request: web.Request) -> Any:
    raw = await request.read()
    try:
        return parse_body(raw)
    except ValueError as exc:
        raise ApiError(400, "invalid_json", str(exc)) from exc


def _fields_message(fields: dict[str, str]) -> str:
    return "Invalid fields: " + "; ".join(f"{name} {why}" for name, why in fields.items()) + "."


def _no_target(request: web.Request) -> ApiError:
    return ApiError(
        404, "not_found", f"No webhook subscription has the id {request.match_info['id']}."
    )


def _extension(body: dict[str, Any]) -> web.Response:
    """An answer from an endpoint Kardow does not document: marked so in a header."""
    response = web.Response(text=json.dumps(body), content_type="application/json", charset="utf-8")
    response.headers[EXTENSION_HEADER] = "true"
    return response
