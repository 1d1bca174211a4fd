"""Application tools: the voice/message URLs that numbers and SIP endpoints are attached to."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from plivo_mcp.core.deps import Deps
from plivo_mcp.core.spec import Toolset, tool
from plivo_mcp.errors import invalid_argument
from plivo_mcp.paging import Progress, collect_linked
from plivo_mcp.shaping import changed, clean, sample
from plivo_mcp.tools.common import (
    AppId,
    AppName,
    HttpMethod,
    HttpUrl,
    SubaccountId,
    changes,
    get_named,
)
from plivo_mcp.tools.listing import ListPage

SUMMARY_FIELDS = ("app_id", "app_name", "answer_url", "sub_account", "enabled", "default_number_app",
                  "default_endpoint_app")

OptUrl = Annotated[HttpUrl | None, Field(description="http(s) URL.")]
OptMethod = Annotated[HttpMethod | None, Field(description="Default POST.")]
OptBool = bool | None


@tool(title="List applications", read_only=True, idempotent=True)
async def list_applications(
    deps: Deps,
    subaccount: Annotated[SubaccountId | None, Field(description="Only this subaccount's.")] = None,
    app_name: Annotated[AppName | None, Field(description="Name prefix filter.")] = None,
    *,
    page: ListPage,
) -> dict[str, Any]:
    """List applications, newest first."""
    return await page.of(deps, "Application/", {"subaccount": subaccount, "app_name": app_name}, SUMMARY_FIELDS)


@tool(title="Get application", read_only=True, idempotent=True)
async def get_application(deps: Deps, app_id: AppId) -> dict[str, Any]:
    """Get one application with its URLs and methods."""
    return clean(await deps.client.get(f"Application/{app_id}/"))


@tool(title="Create application")
async def create_application(
    deps: Deps,
    app_name: AppName,
    answer_url: Annotated[HttpUrl, Field(description="URL Plivo fetches XML from on a call.")],
    answer_method: OptMethod = None,
    hangup_url: Annotated[HttpUrl | None, Field(description="Hangup URL (default answer_url).")] = None,
    hangup_method: OptMethod = None,
    fallback_answer_url: Annotated[HttpUrl | None, Field(description="Used if answer_url fails.")] = None,
    fallback_method: OptMethod = None,
    message_url: Annotated[HttpUrl | None, Field(description="URL for incoming messages.")] = None,
    message_method: OptMethod = None,
    default_number_app: Annotated[OptBool, Field(description="Default app for new numbers.")] = None,
    default_endpoint_app: Annotated[OptBool, Field(description="Default app for new endpoints.")] = None,
    subaccount: Annotated[SubaccountId | None, Field(description="Owner subaccount.")] = None,
    log_incoming_messages: Annotated[OptBool, Field(description="Log message bodies (default true).")] = None,
    public_uri: Annotated[OptBool, Field(description="Expose a public SIP URI.")] = None,
) -> dict[str, Any]:
    """Create an application. Returns its app_id."""
    body = {"app_name": app_name, "answer_url": answer_url, "answer_method": answer_method, "hangup_url": hangup_url,
            "hangup_method": hangup_method, "fallback_answer_url": fallback_answer_url,
            "fallback_method": fallback_method, "message_url": message_url, "message_method": message_method,
            "default_number_app": default_number_app, "default_endpoint_app": default_endpoint_app,
            "subaccount": subaccount, "log_incoming_messages": log_incoming_messages, "public_uri": public_uri}
    data = await deps.client.post("Application/", {**body, **deps.async_callback})  # the client drops Nones
    return changed(data, app_id=data.get("app_id"), app_name=app_name)


@tool(title="Update application", idempotent=True)
async def update_application(
    deps: Deps,
    app_id: AppId,
    answer_url: OptUrl = None,
    answer_method: OptMethod = None,
    hangup_url: OptUrl = None,
    hangup_method: OptMethod = None,
    fallback_answer_url: OptUrl = None,
    fallback_method: OptMethod = None,
    message_url: OptUrl = None,
    message_method: OptMethod = None,
    default_number_app: Annotated[OptBool, Field(description="Default app for new numbers.")] = None,
    default_endpoint_app: Annotated[OptBool, Field(description="Default app for new endpoints.")] = None,
    subaccount: Annotated[SubaccountId | None, Field(description="Move to this subaccount.")] = None,
    log_incoming_messages: Annotated[OptBool, Field(description="Log message bodies.")] = None,
) -> dict[str, Any]:
    """Change an application's URLs, methods or flags."""
    body = changes("answer_url", "give at least one field to change", answer_url=answer_url,
                   answer_method=answer_method, hangup_url=hangup_url, hangup_method=hangup_method,
                   fallback_answer_url=fallback_answer_url, fallback_method=fallback_method, message_url=message_url,
                   message_method=message_method, default_number_app=default_number_app,
                   default_endpoint_app=default_endpoint_app, subaccount=subaccount,
                   log_incoming_messages=log_incoming_messages)
    data = await deps.client.post(f"Application/{app_id}/", {**body, **deps.async_callback})
    return changed(data, app_id=app_id, updated=sorted(body))


def _check_reattach(app_id: str, cascade: bool, new_endpoint_application: str | None) -> None:
    if new_endpoint_application is not None and cascade:
        raise invalid_argument("new_endpoint_application", "only applies with cascade=false")
    if new_endpoint_application == app_id:
        raise invalid_argument("new_endpoint_application", "must differ from app_id")


async def preview_delete_application(deps: Deps, app_id: str, cascade: bool = True,
                                     new_endpoint_application: str | None = None, **_: Any) -> dict[str, Any]:
    # Checked here, before anything is fetched or a person is asked: the guard previews every call first, so
    # an impossible delete is refused up front instead of after its confirmation.
    _check_reattach(app_id, cascade, new_endpoint_application)
    client = deps.client
    app = await client.get(f"Application/{app_id}/")
    if new_endpoint_application is not None:
        target = await get_named(client, f"Application/{new_endpoint_application}/", "new_endpoint_application")
    # The API cannot list by application, so the account's whole lists are searched (up to
    # PREVIEW_MAX_ITEMS each, paged concurrently); a search cut short says so, its count is then a floor.
    progress = Progress(deps.ctx)
    endpoints, endpoints_searched = await collect_linked(progress, "endpoints", client, "Endpoint/", "application",
                                                         app_id)
    numbers, numbers_searched = await collect_linked(progress, "numbers", client, "Number/", "application", app_id)
    if cascade:
        effect = "deleted"
    elif new_endpoint_application is not None:
        effect = f"moved to application {target.get('app_name')} ({new_endpoint_application})"
    else:
        effect = "left without an application (orphaned)"
    return {
        "action": f"Delete application {app.get('app_name')} ({app_id})",
        "cascade": cascade,
        "endpoints": {**sample(endpoints, "username", partial=endpoints_searched.partial_search("endpoints")),
                      "effect": effect},
        "numbers_left_without_application": sample(numbers, "number",
                                                   partial=numbers_searched.partial_search("numbers")),
        "reversible": False,
        "confirm_with": app.get("app_name"),
    }


@tool(title="Delete application", destructive=True, idempotent=True, preview=preview_delete_application)
async def delete_application(
    deps: Deps,
    app_id: AppId,
    cascade: Annotated[bool, Field(description="Also delete its endpoints (default true).")] = True,
    new_endpoint_application: Annotated[AppId | None, Field(
        description="With cascade=false, move its endpoints to this app.")] = None,
) -> dict[str, Any]:
    """Delete an application. cascade=true (default) deletes its endpoints too."""
    data = await deps.client.delete(f"Application/{app_id}/", {
        "cascade": cascade, "new_endpoint_application": new_endpoint_application, **deps.async_callback})
    return changed(data, deleted=app_id, cascade=cascade,
                   endpoints_moved_to=new_endpoint_application)


TOOLSET = Toolset(
    name="applications",
    description="Applications: the voice and message URLs numbers and endpoints use.",
    tools=[list_applications, get_application, create_application, update_application, delete_application],
    # Off by default: the default surface is read on every conversation (6,000 tokens at most, README
    # "Tools and toolsets"); every operation stays reachable through the catalog, guarded alike.
    default=False,
)
