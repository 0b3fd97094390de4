defmodule ClusterLab.HttpCheck do
  @moduledoc """
  Polls `HTTP_CHECK_URLS` every `HTTP_CHECK_MS` (default 2000, first at once),
  the way the seed's services kept calling minio (ExAws) and jaeger (OTLP).

  Failures are logged in the seed's wording, `ExAws: HTTP ERROR: <reason>`,
  so a learner sees in `docker logs` the same `:nxdomain` the seed reports
  when a service sits on the wrong Compose network.
  """
  use GenServer
  require Logger

  def start_link(opts), do: GenServer.start_link(__MODULE__, Map.new(opts), name: __MODULE__)

  @impl true
  def init(state), do: {:ok, state, {:continue, :check}}

  @impl true
  def handle_continue(:check, state), do: {:noreply, check(state)}

  @impl true
  def handle_info(:check, state), do: {:noreply, check(state)}

  defp check(%{urls: urls, interval: interval} = state) do
    for url <- urls do
      case ClusterLab.Http.get(url) do
        {:ok, {{_version, status, _reason}, _headers, _body}} ->
          Logger.info(~s(HTTP OK #{status} for URL: "#{url}"))

        {:error, reason} ->
          Logger.error(~s(ExAws: HTTP ERROR: #{inspect(reason)} for URL: "#{url}"))
      end
    end

    Process.send_after(self(), :check, interval)
    state
  end
end
