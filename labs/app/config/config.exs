import Config

# Plain one-line log entries on stdout, so `docker logs` reads well.
config :logger, :console, format: "$time [$level] $message\n"
