"""/api/v1/admin/ai-settings: the AI thresholds and knobs administrators override over the environment."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from deskpilot.api.deps import CurrentPrincipal, RuntimeDep, SessionDep, SettingsDep
from deskpilot.governance import ai_settings
from deskpilot.governance.setting_schemas import AiSettingChange, AiSettingRead, SettingVersionRead

router = APIRouter(prefix="/api/v1/admin/ai-settings", tags=["administration"])
SettingName = Annotated[str, Path(min_length=1, max_length=80, pattern=r"^[a-z_]+$")]


def to_read(item: ai_settings.AiSetting) -> AiSettingRead:
    now = item.current
    return AiSettingRead(name=item.knob.name, label=item.knob.label, help=item.knob.help, kind=item.knob.kind.value,
                         value=now.value, source=now.source, minimum=item.low, maximum=item.high,
                         version=now.version, changed_by=now.changed_by, changed_at=now.changed_at)


@router.get("", operation_id="list_ai_settings")
def list_ai_settings(session: SessionDep, actor: CurrentPrincipal, settings: SettingsDep) -> list[AiSettingRead]:
    """Every AI setting with its value in force and where it comes from (default, env or admin)."""
    return [to_read(item) for item in ai_settings.listing(session, actor=actor, settings=settings)]


@router.put("/{name}", operation_id="change_ai_setting")
def change_ai_setting(name: SettingName, data: AiSettingChange, session: SessionDep, actor: CurrentPrincipal,
                      settings: SettingsDep, runtime: RuntimeDep) -> AiSettingRead:
    """Set an AI setting (null: back to the environment's value or the default); validated against its range,
    versioned and audited, in force in every process at its next request. The replay gate refuses (409) a
    change that drops any article's answers, unless `reason` says why it must go ahead."""
    ai_settings.change_ai_setting(session, actor=actor, runtime=runtime, name=name, value=data.value,
                                  reason=data.reason)
    return next(to_read(item) for item in ai_settings.listing(session, actor=actor, settings=settings)
                if item.knob.name == name)


@router.get("/{name}/versions", operation_id="list_ai_setting_versions")
def list_versions(name: SettingName, session: SessionDep, actor: CurrentPrincipal) -> list[SettingVersionRead]:
    """Every version of the setting's override, newest first."""
    return [SettingVersionRead.model_validate(row) for row in ai_settings.versions(session, actor=actor, name=name)]
