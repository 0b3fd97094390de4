defmodule Cluster.Logger do
  @moduledoc """
  libcluster 3.5's log lines (lib/logger.ex): every message carries the prefix
  `[libcluster:<topology>]`; `debug` lines appear only with `config :libcluster,
  debug: true` (any value but `nil`, `false` and `"false"`).
  """
  require Logger

  def debug(topology, msg) do
    if Application.get_env(:libcluster, :debug, false) not in [nil, false, "false"],
      do: Logger.debug(line(topology, msg))

    :ok
  end

  def info(topology, msg), do: Logger.info(line(topology, msg))
  def warn(topology, msg), do: Logger.warning(line(topology, msg))
  def error(topology, msg), do: Logger.error(line(topology, msg))

  defp line(topology, msg), do: "[libcluster:#{topology}] #{msg}"
end
