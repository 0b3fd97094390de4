defmodule ClusterLab.Env do
  @moduledoc """
  Typed access to the environment variables that configure a lab node.

  Compose is the only configuration surface of the labs, so values are read
  from the OS environment at start-up. Empty strings count as unset.
  """

  @doc "The variable's value, or `default` when it is unset or empty."
  def get(name, default \\ nil) do
    case System.get_env(name) do
      nil -> default
      "" -> default
      value -> value
    end
  end

  @doc "Like `get/1`, but raises a message that says what to set."
  def fetch!(name, why) do
    get(name) || raise ArgumentError, "#{name} must be set #{why}"
  end

  @doc "A comma-separated list, trimmed, without empty entries."
  def list(name) do
    (get(name) || "")
    |> String.split(",", trim: true)
    |> Enum.map(&String.trim/1)
    |> Enum.reject(&(&1 == ""))
  end

  @doc "A comma-separated list of node names, as atoms."
  def nodes(name), do: name |> list() |> Enum.map(&String.to_atom/1)

  @doc "A non-negative integer (milliseconds), or `default`."
  def integer(name, default) do
    case get(name) do
      nil -> default
      value -> parse_integer!(name, value)
    end
  end

  @doc "Milliseconds, or `:infinity` when unset or \"infinity\"."
  def timeout(name) do
    case get(name, "infinity") do
      "infinity" -> :infinity
      value -> parse_integer!(name, value)
    end
  end

  defp parse_integer!(name, value) do
    case Integer.parse(value) do
      {int, ""} when int >= 0 -> int
      _ -> raise ArgumentError, "#{name}=#{inspect(value)} is not a number of milliseconds"
    end
  end

  @doc "True for `true`/`1`/`yes`; unset or empty is false."
  def flag(name), do: String.downcase(get(name, "false")) in ["true", "1", "yes"]

  @doc "A Logger level (`debug`, `info`, `warning`, ...) or nil when unset: dns_cluster's `log:`."
  def log_level(name) do
    case get(name) do
      nil ->
        nil

      level when level in ~w(debug info notice warning error) ->
        String.to_atom(level)

      other ->
        raise ArgumentError,
              "#{name}=#{inspect(other)} is not a Logger level (debug, info, warning, error)"
    end
  end
end
