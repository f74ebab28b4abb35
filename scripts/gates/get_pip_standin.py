# Stand-in for ansible-test's get-pip bootstrap script (the real one is downloaded from a host that
# these machines cannot reach). ansible-test runs it as __main__ with get-pip's arguments, e.g.
#   --disable-pip-version-check pip==25.2 --no-setuptools --no-wheel
# It bootstraps the bundled pip with ensurepip, then lets that pip install the requested version.
# ensurepip sets PIP_CONFIG_FILE=/dev/null (and drops PIP_* variables) in this process; the pip
# run afterwards gets the original environment back, so the machine's pip configuration
# (certificates, find-links, extra indexes) applies.
import ensurepip
import os
import subprocess
import sys

GET_PIP_ONLY = ("--no-setuptools", "--no-wheel")

saved_environ = dict(os.environ)
ensurepip.bootstrap(upgrade=True)
os.environ.clear()
os.environ.update(saved_environ)
if os.environ.get("PIP_CONFIG_FILE") == os.devnull:
    del os.environ["PIP_CONFIG_FILE"]

args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install"] + args))
