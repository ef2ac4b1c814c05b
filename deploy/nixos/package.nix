# lanventory built from a checkout, for the NixOS module beside this file:
#   package = pkgs.callPackage ./package.nix { src = /path/to/lanventory; };
# Needs a nixpkgs whose python3 is 3.11 or newer (NixOS 24.05 and later).
{
  lib,
  python3Packages,
  src,
}:
python3Packages.buildPythonApplication {
  pname = "lanventory";
  version = "0.1.0";
  pyproject = true;
  inherit src;

  build-system = [
    python3Packages.setuptools
    python3Packages.wheel
  ];

  dependencies = with python3Packages; [
    sqlalchemy
    alembic
    psycopg
    pydantic
    pydantic-settings
    platformdirs
    click
    httpx
    croniter
    fastapi
    uvicorn
    argon2-cffi
    apprise
    prometheus-client
    jinja2
  ];

  # Take the versions this nixpkgs ships rather than pyproject.toml's lower bounds. The
  # [binary] extra of psycopg (pip's prebuilt libpq) is not needed: nixpkgs' psycopg links
  # nixpkgs' libpq.
  pythonRelaxDeps = true;

  # The test suite needs PostgreSQL, network namespaces and a browser; run it from a checkout.
  doCheck = false;

  meta = {
    description = "A live, MAC-keyed inventory of every device on your LANs";
    license = lib.licenses.mit;
    mainProgram = "lanventory";
  };
}
