"""A real OpenLDAP (Debian slapd) on loopback with a throw-away config, the ppolicy overlay and test people.

Installed with apt when missing (the tests run as root). The service account deskpilot binds as is not
the rootdn: it has manage rights, as a desk would grant its automation account.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SLAPD = Path("/usr/sbin/slapd")
SUFFIX = "dc=northwind,dc=example"
ROOT_DN, ROOT_PW = f"cn=admin,{SUFFIX}", "root-secret-pw"
SERVICE_DN, SERVICE_PW = f"cn=deskpilot,ou=services,{SUFFIX}", "service-secret-pw"
OLD_PASSWORD = "Old-Password-2025"
PEOPLE = ("alice", "bob", "carol", "admin-jane")

CONFIG = """
include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload ppolicy
pidfile {tmp}/slapd.pid
database mdb
maxsize 67108864
suffix "{suffix}"
rootdn "{root_dn}"
rootpw {root_pw}
directory {tmp}/data
overlay ppolicy
ppolicy_default "cn=default,ou=policies,{suffix}"
ppolicy_use_lockout
access to attrs=userPassword by dn.exact="{service_dn}" manage by self write by anonymous auth by * none
access to * by dn.exact="{service_dn}" manage by * read
"""


def _entries() -> str:
    blocks = [
        f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: Northwind\ndc: northwind",
        *(f"dn: ou={ou},{SUFFIX}\nobjectClass: organizationalUnit\nou: {ou}"
          for ou in ("people", "groups", "services", "policies", "admins")),
        f"dn: {SERVICE_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: deskpilot\n"
        f"userPassword: {SERVICE_PW}",
        f"dn: cn=default,ou=policies,{SUFFIX}\nobjectClass: top\nobjectClass: device\nobjectClass: pwdPolicy\n"
        "cn: default\npwdAttribute: userPassword\npwdLockout: TRUE\npwdMaxFailure: 3\npwdLockoutDuration: 0",
    ]
    for name in PEOPLE:
        ou = "admins" if name.startswith("admin") else "people"
        blocks.append(f"dn: uid={name},ou={ou},{SUFFIX}\nobjectClass: inetOrgPerson\nuid: {name}\ncn: {name.title()}\n"
                      f"sn: {name.title()}\nmail: {name}@northwind.example\nuserPassword: {OLD_PASSWORD}")
    for group, members in (("vpn-users", ["alice"]), ("finance", ["bob"]), ("domain-admins", ["admin-jane"])):
        lines = "\n".join(f"member: uid={m},ou={'admins' if m.startswith('admin') else 'people'},{SUFFIX}"
                          for m in members)
        blocks.append(f"dn: cn={group},ou=groups,{SUFFIX}\nobjectClass: groupOfNames\ncn: {group}\n{lines}")
    return "\n\n".join(blocks) + "\n"


@dataclass(frozen=True)
class LdapServer:
    url: str
    base_dn: str = SUFFIX

    def delete(self, dn: str) -> None:
        """Remove an entry as the rootdn (what an administrator might do behind the desk's back)."""
        subprocess.run(["ldapdelete", "-x", "-H", self.url, "-D", ROOT_DN, "-w", ROOT_PW, dn], check=True,
                       capture_output=True, timeout=30)

    def dn(self, name: str) -> str:
        ou = "admins" if name.startswith("admin") else "people"
        return f"uid={name},ou={ou},{SUFFIX}"


def ensure_installed() -> None:
    if SLAPD.exists() and shutil.which("ldapadd"):
        return
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update"], check=True, env=env, capture_output=True, timeout=600)
    subprocess.run(["apt-get", "install", "-y", "slapd", "ldap-utils"], check=True, env=env, capture_output=True,
                   timeout=900)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_slapd(tmp: Path) -> Iterator[LdapServer]:
    """Start slapd in the foreground on a free loopback port, load the directory, stop it afterwards."""
    ensure_installed()
    (tmp / "data").mkdir()
    conf = tmp / "slapd.conf"
    conf.write_text(CONFIG.format(tmp=tmp, suffix=SUFFIX, root_dn=ROOT_DN, root_pw=ROOT_PW, service_dn=SERVICE_DN))
    url = f"ldap://127.0.0.1:{_free_port()}"
    process = subprocess.Popen([str(SLAPD), "-f", str(conf), "-h", f"{url}/", "-d", "0"],
                               stdout=subprocess.DEVNULL, stderr=(tmp / "slapd.log").open("wb"))
    try:
        _wait_until_up(url, process, tmp)
        (tmp / "directory.ldif").write_text(_entries())
        subprocess.run(["ldapadd", "-x", "-H", url, "-D", ROOT_DN, "-w", ROOT_PW, "-f", str(tmp / "directory.ldif")],
                       check=True, capture_output=True, timeout=30)
        yield LdapServer(url=url)
    finally:
        process.terminate()
        process.wait(timeout=15)


def _wait_until_up(url: str, process: subprocess.Popen[bytes], tmp: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"slapd exited: {(tmp / 'slapd.log').read_text(errors='replace')[-2000:]}")
        probe = subprocess.run(["ldapsearch", "-x", "-H", url, "-b", "", "-s", "base", "(objectClass=*)"],
                               capture_output=True, timeout=10)
        if probe.returncode == 0:
            return
        time.sleep(0.1)
    raise RuntimeError("slapd did not answer within 20 s")
