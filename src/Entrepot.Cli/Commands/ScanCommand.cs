using System.CommandLine;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Entrepot.Core.Border.Scanning;

namespace Entrepot.Cli.Commands;

/// <summary>
/// <c>entrepot scan</c>: the exchange's scanner from outside. Reads text on stdin and lists what it
/// finds; --json prints {"entities":[{"type","start","end","text"}]} (UTF-16 offsets, end
/// exclusive); --jsonl reads one JSON object with a "text" field per line and writes one result
/// per line, so logs and data sets can be scanned in bulk.
/// </summary>
internal static class ScanCommand
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print {\"entities\":[...]} as JSON." };
        var jsonl = new Option<bool>("--jsonl") { Description = "Read JSON lines with a \"text\" field; write one result per line." };
        var cmd = new Command("scan", "Find personal data and secrets in text read from stdin.") { json, jsonl };
        cmd.SetAction(async (pr, ct) =>
        {
            using var stdin = new StreamReader(Console.OpenStandardInput(), new UTF8Encoding(false));
            await using var stdout = Console.OpenStandardOutput();
            if (pr.GetValue(jsonl))
            {
                return await ScanLinesAsync(stdin, stdout, ct).ConfigureAwait(false);
            }

            var text = await stdin.ReadToEndAsync(ct).ConfigureAwait(false);
            var found = Scanner.Scan(text);
            if (pr.GetValue(json))
            {
                var bytes = Result(text, found, null);
                await stdout.WriteAsync(bytes, ct).ConfigureAwait(false);
                await stdout.WriteAsync("\n"u8.ToArray(), ct).ConfigureAwait(false);
                return 0;
            }

            var sb = new StringBuilder();
            foreach (var e in found)
            {
                sb.Append(e.Type.Name()).Append('\t').Append(e.Start).Append('-').Append(e.End).Append('\t').Append(text[e.Start..e.End].ReplaceLineEndings("\\n")).Append('\n');
            }

            sb.Append(found.Count).Append(found.Count == 1 ? " entity\n" : " entities\n");
            await stdout.WriteAsync(Encoding.UTF8.GetBytes(sb.ToString()), ct).ConfigureAwait(false);
            return 0;
        });
        return cmd;
    }

    private static async Task<int> ScanLinesAsync(StreamReader stdin, Stream stdout, CancellationToken ct)
    {
        int lineNo = 0, bad = 0;
        while (await stdin.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
        {
            lineNo++;
            if (line.Length == 0)
            {
                continue;
            }

            string? text = null, error = null;
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String)
                {
                    text = t.GetString();
                }
                else
                {
                    error = $"line {lineNo}: expected an object with a string field \"text\"";
                }
            }
            catch (JsonException e)
            {
                error = $"line {lineNo}: not JSON ({e.Message})";
            }

            if (error is not null)
            {
                bad++;
                await Console.Error.WriteLineAsync("entrepot scan: " + error).ConfigureAwait(false);
            }

            var bytes = Result(text ?? "", text is null ? [] : Scanner.Scan(text), error);
            await stdout.WriteAsync(bytes, ct).ConfigureAwait(false);
            await stdout.WriteAsync("\n"u8.ToArray(), ct).ConfigureAwait(false);
        }

        return bad == 0 ? 0 : 1;
    }

    private static byte[] Result(string text, List<Entity> found, string? error)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteStartArray("entities");
            foreach (var e in found)
            {
                w.WriteStartObject();
                w.WriteString("type", e.Type.Name());
                w.WriteNumber("start", e.Start);
                w.WriteNumber("end", e.End);
                w.WriteString("text", text.AsSpan(e.Start, e.Length));
                w.WriteEndObject();
            }

            w.WriteEndArray();
            if (error is not null)
            {
                w.WriteString("error", error);
            }

            w.WriteEndObject();
        }

        return ms.ToArray();
    }
}
