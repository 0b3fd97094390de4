defmodule ClusterLab.Strategy.Once do
  @moduledoc """
  The seed's `connect_to_cluster/0`: at start-up, `Node.connect/1` to every node of
  its list except itself, once (`config :clusterlab, :connect_to_cluster, [...]` in
  config/runtime.exs; formerly `CLUSTER_HOSTS`). Like the seed's code it logs nothing.

  Nothing retries. A peer that is not up yet at that moment (a slower or
  delayed service) stays disconnected for good, on both sides: the broken
  start-up order of lesson 2. It runs as a one-shot task so a failed attempt
  is never repeated by a supervisor restart either.

  `CLUSTER_TRACE=true` is a lab knob, not the seed's code: it logs each result
  (`[once] Node.connect(:"app@n2.lab") -> false, not retried`) so a lesson can
  show what happened.
  """
  use Task, restart: :temporary
  require Logger

  def start_link(opts) do
    Task.start_link(__MODULE__, :run, [
      Keyword.fetch!(opts, :hosts),
      Keyword.get(opts, :trace, false)
    ])
  end

  @doc false
  def run(hosts, trace?) do
    for host <- hosts, host != node() do
      result = Node.connect(host)
      if trace?, do: trace(host, result)
    end
  end

  defp trace(host, true), do: Logger.info("[once] Node.connect(#{inspect(host)}) -> true")

  defp trace(host, other),
    do: Logger.warning("[once] Node.connect(#{inspect(host)}) -> #{other}, not retried")
end
