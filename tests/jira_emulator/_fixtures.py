"""Standard fixture accounts (documented in README.md). Secrets are random per call."""
import secrets

from ._model import Account, Project

SERVICE_EMAIL = "svc-ansible@example.com"
ADMIN_EMAIL = "jira-admin@example.com"
PROJECT_KEY = "OPS"
SERVICE_PERMISSIONS = ["BROWSE_PROJECTS", "CREATE_ISSUES", "EDIT_ISSUES", "ADD_COMMENTS", "TRANSITION_ISSUES"]


def new_secret(prefix="ATATT"):
    """Random, token-looking secret (so leak tests look for something unguessable)."""
    return prefix + secrets.token_urlsafe(24)


def default_accounts(mode="cloud"):
    """[service account, admin] with fresh random secrets.

    Cloud: classic token in `tokens`, plus one scoped token. DC: `tokens[0]` doubles as password, plus one PAT.
    """
    service = Account(email=SERVICE_EMAIL, name="svc-ansible", display_name="Ansible Service Account",
                      tokens=[new_secret()], groups=["jira-software-users", "ansible-automation"],
                      application_roles=["jira-software"], permissions={PROJECT_KEY: list(SERVICE_PERMISSIONS)})
    admin = Account(email=ADMIN_EMAIL, name="jira-admin", display_name="Jira Administrator",
                    tokens=[new_secret()], groups=["jira-administrators", "jira-software-users"],
                    global_permissions=["ADMINISTER", "USER_PICKER"], permissions={"*": ["ADMINISTER_PROJECTS", "BROWSE_PROJECTS"]})
    if mode == "cloud":
        service.scoped_tokens = [new_secret()]
    else:
        service.pats = [new_secret("NjE")]
        admin.pats = [new_secret("NjE")]
    return [service, admin]


def default_projects():
    return [Project(key=PROJECT_KEY, name="Operations", id="10000")]
