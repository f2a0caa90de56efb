using System.Text.Json;
using Entrepot.Core.Routing;

namespace Entrepot.Core.Protocol;

/// <summary>Reads the OpenRouter-compatible <c>provider</c> object; unknown fields are ignored as OpenRouter does.</summary>
public static class ProviderPreferencesReader
{
    /// <summary>The request header that carries the same JSON object as the body's <c>provider</c>, for
    /// clients that cannot add fields to a request body.</summary>
    public const string Header = "Entrepot-Provider-Preferences";

    /// <summary>Reads the header's value; null with an error naming the header when it is not the
    /// <c>provider</c> object.</summary>
    public static ProviderPreferences? FromHeader(string value, out RequestError? error)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(value);
        try
        {
            var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = 8 });
            if (!reader.Read())
            {
                error = new RequestError($"The {Header} header is empty; give the provider object as JSON, such as {{\"only\":[\"sg-1\"]}}.", Header);
                return null;
            }

            var prefs = Read(ref reader, out error);
            if (prefs is not null && reader.Read())
            {
                prefs = null;
                error = new RequestError($"The {Header} header holds more than one JSON value.", Header);
            }

            if (prefs is null)
            {
                error = new RequestError($"The {Header} header: {error!.Message.Replace("'provider'", "the provider object", StringComparison.Ordinal)}", Header);
            }

            return prefs;
        }
        catch (JsonException e)
        {
            error = new RequestError($"The {Header} header is not JSON: {e.Message}", Header);
            return null;
        }
    }

    public static ProviderPreferences? Read(ref Utf8JsonReader reader, out RequestError? error)
    {
        error = null;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            error = new RequestError("'provider' must be an object.", "provider");
            return null;
        }

        var prefs = new ProviderPreferences();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            reader.Read();
            switch (name)
            {
                case "order":
                case "only":
                case "ignore":
                case "jurisdictions":
                case "exclude_jurisdictions":
                    var list = ReadStrings(ref reader, name, out error);
                    if (list is null)
                    {
                        return null;
                    }

                    prefs = name switch
                    {
                        "order" => prefs with { Order = list },
                        "only" => prefs with { Only = list },
                        "ignore" => prefs with { Ignore = list },
                        "jurisdictions" => prefs with { Jurisdictions = list },
                        _ => prefs with { ExcludeJurisdictions = list },
                    };
                    break;
                case "allow_fallbacks":
                    if (reader.TokenType is not (JsonTokenType.True or JsonTokenType.False))
                    {
                        error = new RequestError("'provider.allow_fallbacks' must be true or false.", "provider.allow_fallbacks");
                        return null;
                    }

                    prefs = prefs with { AllowFallbacks = reader.GetBoolean() };
                    break;
                case "sort":
                    SortBy? sort = reader.TokenType == JsonTokenType.String ? reader.GetString() switch
                    {
                        "price" => SortBy.Price,
                        "latency" => SortBy.Latency,
                        "throughput" => SortBy.Throughput,
                        "balanced" => SortBy.Balanced,
                        _ => null,
                    } : null;
                    if (sort is null)
                    {
                        error = new RequestError("'provider.sort' must be one of \"price\", \"latency\", \"throughput\", \"balanced\".", "provider.sort");
                        return null;
                    }

                    prefs = prefs with { Sort = sort };
                    break;
                case "max_price":
                    if (!ReadMaxPrice(ref reader, ref prefs, out error))
                    {
                        return null;
                    }

                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        return prefs;
    }

    private static bool ReadMaxPrice(ref Utf8JsonReader reader, ref ProviderPreferences prefs, out RequestError? error)
    {
        error = null;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            error = new RequestError("'provider.max_price' must be an object such as {\"prompt\": 1, \"completion\": 2} (USD per million tokens).", "provider.max_price");
            return false;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var field = reader.GetString()!;
            reader.Read();
            if (field is not ("prompt" or "completion"))
            {
                reader.Skip();
                continue;
            }

            if (reader.TokenType != JsonTokenType.Number || !reader.TryGetDecimal(out var value) || value < 0)
            {
                error = new RequestError($"'provider.max_price.{field}' must be a non-negative number (USD per million tokens).", $"provider.max_price.{field}");
                return false;
            }

            prefs = field == "prompt" ? prefs with { MaxPromptPrice = value } : prefs with { MaxCompletionPrice = value };
        }

        return true;
    }

    private static List<string>? ReadStrings(ref Utf8JsonReader reader, string name, out RequestError? error)
    {
        error = null;
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            error = new RequestError($"'provider.{name}' must be an array of strings.", $"provider.{name}");
            return null;
        }

        var list = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String)
            {
                error = new RequestError($"'provider.{name}' must be an array of strings.", $"provider.{name}");
                return null;
            }

            list.Add(reader.GetString()!);
        }

        return list;
    }
}
