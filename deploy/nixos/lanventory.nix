# A NixOS module for lanventory on a NixOS router (docs/deploy.md, "NixOS").
#
#   imports = [ ./lanventory.nix ];
#   services.lanventory = {
#     enable = true;
#     package = pkgs.callPackage ./package.nix { src = /path/to/lanventory; };
#     settings = {
#       networks = [{
#         name = "lan";
#         cidr = "192.168.1.0/24";
#         interface = "br-lan";
#         sweep = { engine = "native"; };
#         sources = [
#           { type = "kea-api"; url = "http://127.0.0.1:8000/"; username = "lanventory"; password = "…"; }
#           { type = "neigh"; }
#         ];
#       }];
#     };
#   };
#
# `settings` is the TOML config as an attribute set; it is written to the Nix store (readable by
# every local user) and linked to /etc/lanventory/lanventory.toml. Secrets such as a PostgreSQL
# password go into `environmentFile` (LANVENTORY_DB=…) instead.
{
  config,
  lib,
  pkgs,
  ...
}:
let
  cfg = config.services.lanventory;
  toml = pkgs.formats.toml { };
  configFile = toml.generate "lanventory.toml" cfg.settings;
  port = cfg.settings.server.port or 8765;
in
{
  options.services.lanventory = {
    enable = lib.mkEnableOption "lanventory, a live MAC-keyed inventory of the devices on your LANs";

    package = lib.mkOption {
      type = lib.types.package;
      example = lib.literalExpression "pkgs.callPackage ./package.nix { src = ./lanventory; }";
      description = "The lanventory package (see package.nix beside this module).";
    };

    settings = lib.mkOption {
      type = toml.type;
      default = { };
      description = ''
        lanventory's configuration (the TOML file, see README.md "Configuration"):
        `networks`, `server`, `notifications`, the rule settings. A config with
        problems stops the service at start with every problem in the journal.
      '';
    };

    environmentFile = lib.mkOption {
      type = lib.types.nullOr lib.types.path;
      default = null;
      example = "/run/secrets/lanventory.env";
      description = ''
        A file of LANVENTORY_* environment variables kept out of the Nix store, e.g.
        `LANVENTORY_DB=postgresql+psycopg://lanventory:secret@db.example.net/lanventory`.
      '';
    };

    openFirewall = lib.mkOption {
      type = lib.types.bool;
      default = false;
      description = ''
        Open `settings.server.port` in the firewall. Only useful with
        `settings.server.host` on an address other than loopback; a reverse proxy
        with TLS on the same host is the better way to reach the web UI.
      '';
    };
  };

  config = lib.mkIf cfg.enable {
    users.users.lanventory = {
      isSystemUser = true;
      group = "lanventory";
      home = "/var/lib/lanventory";
      description = "lanventory LAN inventory";
    };
    users.groups.lanventory = { };

    environment.etc."lanventory/lanventory.toml".source = configFile;
    environment.systemPackages = [ cfg.package ];

    networking.firewall.allowedTCPPorts = lib.mkIf cfg.openFirewall [ port ];

    systemd.services.lanventory = {
      description = "lanventory LAN device inventory";
      wantedBy = [ "multi-user.target" ];
      wants = [ "network-online.target" ];
      after = [ "network-online.target" ] ++ lib.optional config.services.postgresql.enable "postgresql.service";
      restartTriggers = [ configFile ];
      # `ip` for the neigh source; arp-scan only if a network sweeps with engine = "arp-scan".
      path = [
        pkgs.iproute2
        pkgs.arp-scan
      ];
      environment = {
        LANVENTORY_CONFIG = "/etc/lanventory/lanventory.toml";
        LANVENTORY_DATA_DIR = "/var/lib/lanventory";
        PYTHONUNBUFFERED = "1";
      };
      serviceConfig = {
        Type = "exec";
        ExecStart = "${cfg.package}/bin/lanventory serve";
        EnvironmentFile = lib.mkIf (cfg.environmentFile != null) cfg.environmentFile;
        Restart = "on-failure";
        RestartSec = "5s";

        User = "lanventory";
        Group = "lanventory";
        StateDirectory = "lanventory";
        StateDirectoryMode = "0750";
        UMask = "0027";

        # The native sweeper's AF_PACKET socket: CAP_NET_RAW and nothing else.
        AmbientCapabilities = [ "CAP_NET_RAW" ];
        CapabilityBoundingSet = [ "CAP_NET_RAW" ];
        NoNewPrivileges = true;

        ProtectSystem = "strict";
        ProtectHome = true;
        PrivateTmp = true;
        PrivateDevices = true;
        ProtectKernelTunables = true;
        ProtectKernelModules = true;
        ProtectKernelLogs = true;
        ProtectControlGroups = true;
        ProtectClock = true;
        ProtectHostname = true;
        RestrictNamespaces = true;
        RestrictRealtime = true;
        RestrictSUIDSGID = true;
        LockPersonality = true;
        RestrictAddressFamilies = [
          "AF_UNIX"
          "AF_INET"
          "AF_INET6"
          "AF_PACKET"
          "AF_NETLINK"
        ];
        SystemCallArchitectures = "native";
        SystemCallFilter = [ "@system-service" ];
        SystemCallErrorNumber = "EPERM";
      };
    };
  };
}
