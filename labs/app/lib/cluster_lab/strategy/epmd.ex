defmodule ClusterLab.Strategy.Epmd do
  @moduledoc """
  Mirrors libcluster 3.5 `Cluster.Strategy.Epmd` (no hex deps allowed here).

  Connects to the fixed node list `CLUSTER_HOSTS` at start-up. With
  `CLUSTER_TIMEOUT` (libcluster's `timeout`, ms) it tries again every that
  many ms; unset or `infinity` connects once, libcluster's default, so a peer
  that was down at start-up, or a healed partition, stays split. Like
  libcluster it skips nodes already connected, logs `connected to` at info
  and `unable to connect to` at warning, and has no nodedown handling.

      # the same in libcluster:
      config :libcluster,
        topologies: [epmd: [strategy: Cluster.Strategy.Epmd,
                            config: [hosts: [:"a@a.lab", :"b@b.lab"], timeout: 1_000]]]
  """
  use GenServer
  require Logger

  def start_link(opts), do: GenServer.start_link(__MODULE__, opts, name: __MODULE__)

  @impl true
  def init(opts) do
    state = %{
      hosts: Keyword.fetch!(opts, :hosts),
      timeout: Keyword.get(opts, :timeout, :infinity)
    }

    {:ok, state, {:continue, :connect}}
  end

  @impl true
  def handle_continue(:connect, state), do: {:noreply, connect(state)}

  @impl true
  def handle_info(:connect, state), do: {:noreply, connect(state)}

  defp connect(%{hosts: hosts, timeout: timeout} = state) do
    for host <- hosts -- [node() | Node.list(:connected)] do
      case Node.connect(host) do
        true ->
          Logger.info("[epmd] connected to #{inspect(host)}")

        false ->
          Logger.warning("[epmd] unable to connect to #{inspect(host)}")

        :ignored ->
          Logger.warning("[epmd] unable to connect to #{inspect(host)}: not part of network")
      end
    end

    if timeout != :infinity, do: Process.send_after(self(), :connect, timeout)
    state
  end
end
