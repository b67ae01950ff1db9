"""The Teams app package: `manifest.json` with the bot's app id, its command menu
in Dutch (English as a localization file), and the two icons, zipped for upload
in the Teams admin center (`ketenbot teams manifest`).

The menu comes from the registry (the same words as Slack and Telegram), at
most ten commands because Teams shows no more per command list; the rest work
when typed and are listed by `help`.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from importlib import resources
from typing import Any

from handlers.commands import Registry

SCHEMA = "https://developer.microsoft.com/en-us/json-schemas/teams/v1.17/MicrosoftTeams.schema.json"
LOCALIZATION_SCHEMA = ("https://developer.microsoft.com/en-us/json-schemas/teams/v1.17/"
                       "MicrosoftTeams.Localization.schema.json")
MENU = ("wie", "mijn", "status", "verwijs", "tafel", "overdracht", "ik", "afwezig",
        "overzicht", "help")
ICONS = ("color.png", "outline.png")
GUID = re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}")
# A DNS name (or name:port) as validDomains takes it: no scheme, no path.
HOST = re.compile(r"(?=.{1,253}(:\d{1,5})?$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+"
                  r"[a-z]{2,63}(:\d{1,5})?")
TEXT = {
    "nl": {"short": "ketenbot", "full": "ketenbot: samen één keten rond een verwijzing jeugdhulp",
           "description_short": "Wie bel ik, wie is aan zet, en welke termijn loopt.",
           "description_full": (
               "ketenbot houdt jeugdbeschermers, lokale teams, zorgaanbieders en regio's bij "
               "elkaar rond een verwijzing (301/315), de Jeugdbeschermingstafel en de warme "
               "overdracht: contactpersonen per gemeente, de stappen met hun termijnen in "
               "werkdagen, herinneringen en escalaties. Geen gezinsgegevens in de chat.")},
    "en": {"short": "ketenbot", "full": "ketenbot: one chain around a youth-care referral",
           "description_short": "Who to call, whose turn it is, and which term runs.",
           "description_full": (
               "ketenbot keeps youth protection workers, local teams, care providers and "
               "regions together around a referral (301/315), the youth protection table and "
               "the warm handover: contacts per municipality, the steps with their terms in "
               "working days, reminders and escalations. No family data in the chat.")},
}


class ManifestError(ValueError):
    """An app id or host the manifest cannot carry; the message says which."""


def _menu(registry: Registry, lang: str) -> list[dict[str, str]]:
    by_name = {c.name: c for c in registry.commands}
    return [{"title": name, "description": (by_name[name].en if lang == "en"
                                            else by_name[name].nl)[:128]}
            for name in MENU if name in by_name]


def manifest(registry: Registry, app_id: str, host: str, version: str) -> dict[str, Any]:
    if not GUID.fullmatch(app_id):
        raise ManifestError(f"--app-id {app_id!r}: the app registration's Application "
                            "(client) ID, a GUID such as 00000000-0000-0000-0000-000000000000")
    host = host.lower()
    if not HOST.fullmatch(host):
        raise ManifestError(f"--host {host!r}: the public host name of `ketenbot serve`, "
                            "without https:// or a path (for example ketenbot.example.org)")
    if not re.fullmatch(r"\d+\.\d+\.\d+", version):
        version = "1.0.0"  # Teams wants x.y.z; a checkout without a version has none
    nl = TEXT["nl"]
    site = f"https://{host}/overzicht"
    return {
        "$schema": SCHEMA,
        "manifestVersion": "1.17",
        "version": version,
        "id": app_id.lower(),
        "developer": {"name": "ketenbot", "websiteUrl": site, "privacyUrl": site,
                      "termsOfUseUrl": site},
        "name": {"short": nl["short"], "full": nl["full"]},
        "description": {"short": nl["description_short"], "full": nl["description_full"]},
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#005E6E",
        "localizationInfo": {"defaultLanguageTag": "nl-nl", "additionalLanguages": [
            {"languageTag": "en-us", "file": "en-us.json"}]},
        "bots": [{
            "botId": app_id.lower(),
            "scopes": ["personal", "team", "groupChat"],
            "isNotificationOnly": False,
            "supportsFiles": False,
            "commandLists": [{"scopes": ["personal", "team", "groupChat"],
                              "commands": _menu(registry, "nl")}],
        }],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [host],
    }


def localization(registry: Registry) -> dict[str, Any]:
    """The English strings, keyed by their place in the manifest (Teams' format)."""
    en = TEXT["en"]
    out: dict[str, Any] = {"$schema": LOCALIZATION_SCHEMA, "name.short": en["short"],
                           "name.full": en["full"], "description.short": en["description_short"],
                           "description.full": en["description_full"]}
    for i, command in enumerate(_menu(registry, "en")):
        out[f"bots[0].commandLists[0].commands[{i}].title"] = command["title"]
        out[f"bots[0].commandLists[0].commands[{i}].description"] = command["description"]
    return out


def package(registry: Registry, app_id: str, host: str, version: str) -> bytes:
    """The zip to upload: manifest.json, en-us.json and the icons at its root."""
    data = manifest(registry, app_id, host, version)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", json.dumps(data, ensure_ascii=False, indent=2))
        z.writestr("en-us.json", json.dumps(localization(registry), ensure_ascii=False, indent=2))
        icons = resources.files("bot.teams") / "app_package"
        for name in ICONS:
            z.writestr(name, (icons / name).read_bytes())
    return out.getvalue()
