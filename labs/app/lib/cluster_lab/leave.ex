defmodule ClusterLab.Leave do
  @moduledoc """
  Two lab knobs for lesson 9 (leaving the cluster on purpose). Both are off by default.

    * `SHUTDOWN_DRAIN_MS`: the node's shutdown takes that long, like a web endpoint that
      drains its open requests before it stops (Phoenix's drainer waits up to 5 s). While
      it drains, distribution is still up: every peer still lists the node.
    * `LEAVE_ON_SIGTERM=true`: on SIGTERM (`docker stop`) the node first leaves the
      cluster, then shuts down as usual. Leaving is three steps: stop the clustering
      strategy (so this node dials nobody), refuse every other node
      (`:net_kernel.allow([node()])`, so the peers' strategies can't dial it back in
      while it drains) and disconnect with `:global.disconnect/0` (OTP 25.1+). Each peer
      gets its nodedown at once. `global.disconnect` removes only this node from the
      cluster: disconnecting peer by peer (`Node.disconnect/1`) makes OTP 25's global
      on the others see a partial partition and disconnect survivors from each other.
      It logs `[clusterlab] leaving the cluster: disconnected from …`.
  """
  use GenServer

  @doc "The children for these knobs: the drainer last, so it is the first to stop."
  def children do
    case ClusterLab.Env.integer("SHUTDOWN_DRAIN_MS", 0) do
      0 -> []
      ms -> [%{id: __MODULE__, start: {__MODULE__, :start_link, [ms]}, shutdown: ms + 2_000}]
    end
  end

  @doc "Install the SIGTERM handler when `LEAVE_ON_SIGTERM` is set."
  def install do
    if ClusterLab.Env.flag("LEAVE_ON_SIGTERM") do
      {:ok, _ref} = System.trap_signal(:sigterm, :clusterlab_leave, fn -> leave_and_stop() end)
    end

    :ok
  end

  defp leave_and_stop do
    leave()
    System.stop()
    :ok
  end

  @doc "Stop the strategy, refuse other nodes, leave global's cluster."
  def leave do
    for {id, _pid, _type, [module]} <- Supervisor.which_children(ClusterLab.Supervisor),
        module in [Cluster.Supervisor, DNSCluster, ClusterLab.Strategy.Once] do
      Supervisor.terminate_child(ClusterLab.Supervisor, id)
    end

    :ok = :net_kernel.allow([node()])
    peers = :global.disconnect()
    Enum.each(Node.list(:connected), &Node.disconnect/1)
    IO.puts("[clusterlab] leaving the cluster: disconnected from #{inspect(peers)}")
  end

  def start_link(ms), do: GenServer.start_link(__MODULE__, ms, name: __MODULE__)

  @impl true
  def init(ms) do
    Process.flag(:trap_exit, true)
    {:ok, ms}
  end

  @impl true
  def terminate(_reason, ms) do
    IO.puts("[clusterlab] draining for #{ms} ms before stopping")
    Process.sleep(ms)
    IO.puts("[clusterlab] drained")
  end
end
