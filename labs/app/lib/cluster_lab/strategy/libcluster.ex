defmodule ClusterLab.Strategy.Libcluster do
  @moduledoc """
  What libcluster 3.5's strategies share (`Cluster.Strategy` and `Cluster.Logger`),
  re-implemented from its documented behaviour (hex is unreachable here).

    * Every log line carries the prefix `[libcluster:<topology>]`.
    * `connect_nodes/2` skips itself and every node in `:erlang.nodes(:connected)`,
      dials the rest one after another with `:net_kernel.connect_node/1`, logs
      `connected to` at info, `unable to connect to` at warning (and
      `...: not part of network` for `:ignored`), and returns the nodes it failed.
    * `disconnect_nodes/2` only touches nodes that are connected, and logs
      `disconnected from` at info.
    * Debug lines appear only with libcluster's `debug: true`
      (here `LIBCLUSTER_DEBUG=true`).
  """
  require Logger

  @doc "The nodes among `nodes` that could not be connected, each with its reason."
  @spec connect_nodes(String.t(), [node()]) :: [{node(), false | :ignored}]
  def connect_nodes(topology, nodes) do
    for n <- nodes -- [node() | :erlang.nodes(:connected)], reduce: [] do
      failed ->
        case :net_kernel.connect_node(n) do
          true ->
            info(topology, "connected to #{inspect(n)}")
            failed

          false ->
            warn(topology, "unable to connect to #{inspect(n)}")
            [{n, false} | failed]

          :ignored ->
            warn(topology, "unable to connect to #{inspect(n)}: not part of network")
            [{n, :ignored} | failed]
        end
    end
  end

  @doc "Disconnects the connected ones among `nodes`; returns those that failed."
  @spec disconnect_nodes(String.t(), [node()]) :: [{node(), term()}]
  def disconnect_nodes(topology, nodes) do
    connected = :erlang.nodes(:connected)

    for n <- nodes, n != node(), n in connected, reduce: [] do
      failed ->
        case :erlang.disconnect_node(n) do
          true ->
            info(topology, "disconnected from #{inspect(n)}")
            failed

          false ->
            warn(
              topology,
              "disconnect from #{inspect(n)} failed because we're already disconnected"
            )

            failed

          :ignored ->
            warn(
              topology,
              "disconnect from #{inspect(n)} failed because it is not part of the network"
            )

            failed

          reason ->
            warn(topology, "disconnect from #{inspect(n)} failed with: #{inspect(reason)}")
            [{n, reason} | failed]
        end
    end
  end

  def debug(topology, msg) do
    if System.get_env("LIBCLUSTER_DEBUG") in ["true", "1"], do: Logger.debug(line(topology, msg))
  end

  def info(topology, msg), do: Logger.info(line(topology, msg))
  def warn(topology, msg), do: Logger.warning(line(topology, msg))

  defp line(topology, msg), do: "[libcluster:#{topology}] #{msg}"
end
