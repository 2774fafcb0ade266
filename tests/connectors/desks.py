"""Fixture desks on fake vendor servers, and what the desk's database holds after an import."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from deskpilot.accounts.principal import Principal
from deskpilot.connectors import importing
from deskpilot.connectors.base import Connector
from deskpilot.connectors.freshservice.client import FreshserviceConnector
from deskpilot.connectors.jsm.client import JsmConnector
from deskpilot.connectors.models import ConnectorLink
from deskpilot.connectors.servicenow.client import ServiceNowConnector
from deskpilot.connectors.storing import Target
from deskpilot.connectors.zendesk.client import ZendeskConnector
from deskpilot.db import session_factory, unit_of_work
from deskpilot.kb.models import KbArticle, KbArticleVersion
from deskpilot.tickets.models import Ticket, TicketAttachment, TicketMessage
from tests.connectors import fake_freshservice, fake_jsm, fake_servicenow, fake_zendesk
from tests.connectors.vendor_server import serve

IMPORTER = Principal.system("connectors")
CONNECTORS: dict[str, Callable[[dict[str, str]], Connector]] = {
    "zendesk": ZendeskConnector, "servicenow": ServiceNowConnector, "freshservice": FreshserviceConnector,
    "jsm": JsmConnector}


@dataclass
class VendorDesk:
    """A running fake with its records, how to configure a connector for it, and what an import must bring."""

    name: str
    url: str
    state: Any
    config: dict[str, str]
    closed_tickets: int
    files: int
    programs: int
    published_articles: int
    draft_articles: int

    def connector(self) -> Connector:
        return CONNECTORS[self.name](self.config)

    @property
    def faults(self) -> Any:
        return self.state.faults


@contextmanager
def zendesk_desk(tickets: int = 300, articles: int = 40) -> Iterator[VendorDesk]:
    desk = fake_zendesk.ZendeskDesk()
    with serve(fake_zendesk.build_app(desk)) as url:
        desk.base = url
        desk.generate(tickets=tickets, articles=articles)
        closed = [t for t in desk.tickets.values() if t["status"] in ("solved", "closed")]
        files = [a for t in closed for c in desk.comments[t["id"]] for a in c["attachments"]]
        yield VendorDesk(
            "zendesk", url, desk, {"base_url": url, "email": fake_zendesk.EMAIL, "api_token": fake_zendesk.TOKEN},
            closed_tickets=len(closed), files=sum(not f["file_name"].endswith(".exe") for f in files),
            programs=sum(f["file_name"].endswith(".exe") for f in files),
            published_articles=sum(not a["draft"] for a in desk.articles.values()),
            draft_articles=sum(a["draft"] for a in desk.articles.values()))


@contextmanager
def servicenow_desk(incidents: int = 300, articles: int = 40) -> Iterator[VendorDesk]:
    instance = fake_servicenow.ServiceNowInstance()
    with serve(fake_servicenow.build_app(instance)) as url:
        instance.base = url
        instance.generate(incidents=incidents, articles=articles)
        closed = {i["sys_id"] for i in instance.tables["incident"] if i["state"] in ("6", "7")}
        files = [a for a in instance.tables["sys_attachment"] if a["table_sys_id"] in closed]
        kb = instance.tables["kb_knowledge"]
        yield VendorDesk(
            "servicenow", url, instance, {"instance": url, "username": fake_servicenow.USERNAME,
                                          "password": fake_servicenow.PASSWORD},
            closed_tickets=len(closed), files=sum(not f["file_name"].endswith(".exe") for f in files),
            programs=sum(f["file_name"].endswith(".exe") for f in files),
            published_articles=sum(a["workflow_state"] == "published" for a in kb),
            draft_articles=sum(a["workflow_state"] != "published" for a in kb))


@contextmanager
def freshservice_desk(tickets: int = 300, articles: int = 40) -> Iterator[VendorDesk]:
    account = fake_freshservice.FreshserviceAccount()
    with serve(fake_freshservice.build_app(account)) as url:
        account.base = url
        account.generate(tickets=tickets, articles=articles)
        closed = [t for t in account.tickets.values() if t["status"] in (4, 5)]
        files = [a for t in closed for c in account.conversations[t["id"]] for a in c["attachments"]]
        yield VendorDesk(
            "freshservice", url, account, {"base_url": url, "api_key": fake_freshservice.API_KEY},
            closed_tickets=len(closed), files=sum(not f["name"].endswith(".exe") for f in files),
            programs=sum(f["name"].endswith(".exe") for f in files),
            published_articles=sum(a["status"] == 2 for a in account.articles),
            draft_articles=sum(a["status"] != 2 for a in account.articles))


def jsm_config(url: str) -> dict[str, str]:
    return {"base_url": url, "email": fake_jsm.EMAIL, "api_token": fake_jsm.TOKEN, "project": fake_jsm.PROJECT,
            "service_desk_id": fake_jsm.DESK_ID, "request_type_id": fake_jsm.REQUEST_TYPE,
            "category_field": fake_jsm.CATEGORY_FIELD, "group_field": fake_jsm.GROUP_FIELD,
            "kb_space_id": fake_jsm.SPACE}


@contextmanager
def jsm_desk(tickets: int = 300, articles: int = 40) -> Iterator[VendorDesk]:
    site = fake_jsm.JsmSite()
    with serve(fake_jsm.build_app(site)) as url:
        site.base = url
        site.generate(tickets=tickets, articles=articles)
        closed = [i for i in site.issues.values() if i["fields"]["status"]["statusCategory"]["key"] == "done"]
        files = [a for i in closed for a in i["fields"]["attachment"]]
        yield VendorDesk(
            "jsm", url, site, jsm_config(url), closed_tickets=len(closed),
            files=sum(not f["filename"].endswith(".exe") for f in files),
            programs=sum(f["filename"].endswith(".exe") for f in files),
            published_articles=sum(p["status"] == "current" for p in site.pages),
            draft_articles=sum(p["status"] != "current" for p in site.pages))


DESKS = {"zendesk": zendesk_desk, "servicenow": servicenow_desk, "freshservice": freshservice_desk,
         "jsm": jsm_desk}


@contextmanager
def vendor_desk(name: str, **sizes: int) -> Iterator[VendorDesk]:
    with DESKS[name](**sizes) as desk:
        yield desk


def run(engine: Engine, connector: Connector, data_dir: Path, *, key: str | None = None, page_size: int = 50,
        progress: importing.Progress = lambda _: None, fallback: int | None = None) -> importing.ImportReport:
    factory = session_factory(engine, writes=True)
    target = Target(vendor=connector.name, actor=IMPORTER, data_dir=data_dir, max_attachment_bytes=1024 * 1024,
                    fallback_requester_id=fallback)
    return importing.run_import(units=lambda: unit_of_work(factory), connector=connector, target=target,
                                key=key or connector.name, page_size=page_size, progress=progress)


@dataclass(frozen=True)
class Holdings:
    tickets: int
    distinct_external_ids: int
    messages: int
    attachments: int
    articles: int
    versions: int
    links: int


def holdings(session: Session) -> Holdings:
    """What the desk holds now: a new transaction, so the read sees what the import committed since."""
    session.rollback()

    def count(query: Any) -> int:
        return int(session.scalar(query) or 0)

    return Holdings(
        tickets=count(select(func.count()).select_from(Ticket)),
        distinct_external_ids=count(select(func.count(func.distinct(Ticket.external_id)))),
        messages=count(select(func.count()).select_from(TicketMessage)),
        attachments=count(select(func.count()).select_from(TicketAttachment)),
        articles=count(select(func.count()).select_from(KbArticle)),
        versions=count(select(func.count()).select_from(KbArticleVersion)),
        links=count(select(func.count()).select_from(ConnectorLink)))
