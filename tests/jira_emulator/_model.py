"""Data model of the Jira emulator: accounts, projects, permission catalogue.

Test-only code (runs on the controller Python, 3.9+).
"""
import hashlib
import uuid
from dataclasses import dataclass, field, fields, asdict
from typing import Dict, List, Optional


def _digest(text):
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


@dataclass
class Account:
    """One Jira user. Tests mutate these objects in place (revoke a token, deactivate)."""

    email: str = ""
    name: str = ""                # DC login name; default: local part of the email
    display_name: str = ""
    account_id: str = ""          # Cloud; default: stable fake 24-hex id
    key: str = ""                 # DC user key; default: JIRAUSER1xxxx
    tokens: List[str] = field(default_factory=list)         # classic API tokens (DC: act as passwords)
    scoped_tokens: List[str] = field(default_factory=list)  # Cloud: accepted only via the gateway
    pats: List[str] = field(default_factory=list)           # DC personal access tokens (Bearer)
    password: Optional[str] = None
    active: bool = True
    account_type: str = "atlassian"
    groups: List[str] = field(default_factory=list)
    application_roles: List[str] = field(default_factory=lambda: ["jira-software"])
    permissions: Dict[str, List[str]] = field(default_factory=dict)  # project key (or "*") -> permission keys
    global_permissions: List[str] = field(default_factory=list)      # e.g. ["ADMINISTER"]
    time_zone: str = "Europe/Berlin"
    email_visible: bool = True
    locale: str = "en_US"
    # Scopes of the scoped tokens (gateway only); None = every scope granted.
    scopes: Optional[List[str]] = None

    def __post_init__(self):
        if not self.name:
            self.name = (self.email.split("@", 1)[0] if self.email else "user").lower()
        if not self.email:
            self.email = "%s@example.com" % self.name
        if not self.display_name:
            self.display_name = self.name.replace(".", " ").replace("-", " ").title()
        if not self.account_id:
            self.account_id = _digest("acct:" + self.email.lower())[:24]
        if not self.key:
            self.key = "JIRAUSER1%04d" % (int(_digest("key:" + self.name.lower())[:8], 16) % 10000)

    def to_dict(self):
        return asdict(self)

    @classmethod
    def from_dict(cls, data):
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError("unknown Account fields: %s" % ", ".join(sorted(unknown)))
        return cls(**data)

    @property
    def is_admin(self):
        return bool({"ADMINISTER", "SYSTEM_ADMIN"} & set(self.global_permissions))


@dataclass
class Project:
    key: str
    name: str = ""
    id: str = ""

    def __post_init__(self):
        if not self.name:
            self.name = self.key.title()
        if not self.id:
            self.id = str(10000 + int(_digest("proj:" + self.key)[:6], 16) % 90000)

    @classmethod
    def from_dict(cls, data):
        return cls(**data)


def stable_uuid(text):
    return str(uuid.UUID(_digest(text)[:32]))


# (key, id, name, type, description). Ids follow legacy Jira numbering (docs/jira-behaviour.md §8:
# EDIT_ISSUES=12 as in the spec example; the rest are the classic Jira permission ids).
PERMISSIONS = [
    ("ADMINISTER", "0", "Administer Jira", "GLOBAL", "Create and administer projects, issue types, fields, workflows, and schemes for all projects."),
    ("SYSTEM_ADMIN", "44", "Jira System Administrators", "GLOBAL", "Ability to perform all administration functions."),
    ("USER_PICKER", "27", "Browse users and groups", "GLOBAL", "View and select users or groups from the user picker, and share issues."),
    ("CREATE_SHARED_OBJECTS", "22", "Share dashboards and filters", "GLOBAL", "Share dashboards and filters with other users."),
    ("MANAGE_GROUP_FILTER_SUBSCRIPTIONS", "24", "Manage group filter subscriptions", "GLOBAL", "Create and delete group filter subscriptions."),
    ("BULK_CHANGE", "33", "Make bulk changes", "GLOBAL", "Modify collections of issues at once."),
    ("ADMINISTER_PROJECTS", "23", "Administer Projects", "PROJECT", "Ability to administer a project in Jira."),
    ("BROWSE_PROJECTS", "10", "Browse Projects", "PROJECT", "Ability to browse projects and the issues within them."),
    ("VIEW_DEV_TOOLS", "29", "View Development Tools", "PROJECT", "Allows users to view development-related information on the issue."),
    ("VIEW_READONLY_WORKFLOW", "45", "View Read-Only Workflow", "PROJECT", "Users with this permission may view a read-only version of a workflow."),
    ("CREATE_ISSUES", "11", "Create Issues", "PROJECT", "Ability to create issues."),
    ("EDIT_ISSUES", "12", "Edit Issues", "PROJECT", "Ability to edit issues."),
    ("TRANSITION_ISSUES", "46", "Transition Issues", "PROJECT", "Ability to transition issues."),
    ("SCHEDULE_ISSUES", "28", "Schedule Issues", "PROJECT", "Ability to view or edit an issue's due date."),
    ("MOVE_ISSUES", "25", "Move Issues", "PROJECT", "Ability to move issues between projects or between workflows of the same project."),
    ("ASSIGN_ISSUES", "13", "Assign Issues", "PROJECT", "Ability to assign issues to other people."),
    ("ASSIGNABLE_USER", "17", "Assignable User", "PROJECT", "Users with this permission may be assigned to issues."),
    ("RESOLVE_ISSUES", "14", "Resolve Issues", "PROJECT", "Ability to resolve and reopen issues."),
    ("CLOSE_ISSUES", "18", "Close Issues", "PROJECT", "Ability to close issues."),
    ("MODIFY_REPORTER", "30", "Modify Reporter", "PROJECT", "Ability to modify the reporter when creating or editing an issue."),
    ("DELETE_ISSUES", "16", "Delete Issues", "PROJECT", "Ability to delete issues."),
    ("LINK_ISSUES", "21", "Link Issues", "PROJECT", "Ability to link issues together."),
    ("SET_ISSUE_SECURITY", "26", "Set Issue Security", "PROJECT", "Ability to set the level of security on an issue."),
    ("VIEW_VOTERS_AND_WATCHERS", "31", "View Voters and Watchers", "PROJECT", "Ability to view the voters and watchers of an issue."),
    ("MANAGE_WATCHERS", "32", "Manage Watchers", "PROJECT", "Ability to manage the watchers of an issue."),
    ("ADD_COMMENTS", "15", "Add Comments", "PROJECT", "Ability to comment on issues."),
    ("EDIT_ALL_COMMENTS", "34", "Edit All Comments", "PROJECT", "Ability to edit all comments made on issues."),
    ("EDIT_OWN_COMMENTS", "35", "Edit Own Comments", "PROJECT", "Ability to edit own comments made on issues."),
    ("DELETE_ALL_COMMENTS", "36", "Delete All Comments", "PROJECT", "Ability to delete all comments made on issues."),
    ("DELETE_OWN_COMMENTS", "37", "Delete Own Comments", "PROJECT", "Ability to delete own comments made on issues."),
    ("CREATE_ATTACHMENTS", "19", "Create Attachments", "PROJECT", "Users with this permission may create attachments."),
    ("DELETE_ALL_ATTACHMENTS", "38", "Delete All Attachments", "PROJECT", "Users with this permission may delete all attachments."),
    ("DELETE_OWN_ATTACHMENTS", "39", "Delete Own Attachments", "PROJECT", "Users with this permission may delete own attachments."),
    ("WORK_ON_ISSUES", "20", "Work On Issues", "PROJECT", "Ability to log work done against an issue."),
    ("EDIT_OWN_WORKLOGS", "40", "Edit Own Worklogs", "PROJECT", "Ability to edit own worklogs made on issues."),
    ("EDIT_ALL_WORKLOGS", "41", "Edit All Worklogs", "PROJECT", "Ability to edit all worklogs made on issues."),
    ("DELETE_OWN_WORKLOGS", "42", "Delete Own Worklogs", "PROJECT", "Ability to delete own worklogs made on issues."),
    ("DELETE_ALL_WORKLOGS", "43", "Delete All Worklogs", "PROJECT", "Ability to delete all worklogs made on issues."),
]
PERMISSION_BY_KEY = {p[0]: p for p in PERMISSIONS}

# Permissions a project role grants (the emulator's stand-in for a permission scheme).
ROLE_PERMISSIONS = {
    "Administrators": [p[0] for p in PERMISSIONS if p[3] == "PROJECT"],
    "Developers": ["BROWSE_PROJECTS", "CREATE_ISSUES", "EDIT_ISSUES", "TRANSITION_ISSUES", "ASSIGN_ISSUES",
                   "ASSIGNABLE_USER", "RESOLVE_ISSUES", "CLOSE_ISSUES", "LINK_ISSUES", "ADD_COMMENTS",
                   "EDIT_OWN_COMMENTS", "CREATE_ATTACHMENTS", "WORK_ON_ISSUES", "VIEW_VOTERS_AND_WATCHERS"],
    "Users": ["BROWSE_PROJECTS", "ADD_COMMENTS"],
}
DEFAULT_ROLES = [("10002", "Administrators", "A project role that represents administrators in a project"),
                 ("10001", "Developers", "A project role that represents developers in a project"),
                 ("10000", "Users", "A project role that represents users in a project")]

APPLICATION_ROLES = {
    "jira-software": ("Jira Software", ["jira-software-users"], False),
    "jira-core": ("Jira Core", ["jira-core-users"], True),
    "jira-servicedesk": ("Jira Service Management", ["jira-servicedesk-users"], False),
}
