"""Make the repository importable as the collection ``integrations.jira``."""

import os

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COLLECTIONS_DIR = os.path.join(REPO_ROOT, 'build', 'collections')
COLLECTION_LINK = os.path.join(COLLECTIONS_DIR, 'ansible_collections', 'integrations', 'jira')


def ensure_collection_link():
    """Create build/collections/ansible_collections/integrations/jira -> repo root (idempotent,
    safe when several pytest-xdist workers race)."""
    if os.path.realpath(COLLECTION_LINK) == os.path.realpath(REPO_ROOT):
        return COLLECTIONS_DIR
    os.makedirs(os.path.dirname(COLLECTION_LINK), exist_ok=True)
    tmp = '%s.%d.tmp' % (COLLECTION_LINK, os.getpid())
    os.symlink(REPO_ROOT, tmp)
    os.replace(tmp, COLLECTION_LINK)
    return COLLECTIONS_DIR
