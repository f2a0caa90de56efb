using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Entrepot.Core.Protocol.Doors;

namespace Entrepot.Core.Tests.Protocol.Doors;

/// <summary>Compares JSON by value (property order aside), and runs a chat stream through a door.</summary>
internal static class DoorAssert
{
    public static void SameJson(string expected, ReadOnlySpan<byte> actual)
    {
        var e = JsonNode.Parse(expected);
        var a = JsonNode.Parse(actual);
        Assert.True(JsonNode.DeepEquals(e, a), $"expected {e!.ToJsonString()}\n     got {a!.ToJsonString()}");
    }

    public static JsonObject Json(ReadOnlySpan<byte> bytes) => (JsonObject)JsonNode.Parse(bytes)!;

    /// <summary>The door's events for a chat stream fed in the given pieces: (event name, data).</summary>
    public static List<(string Name, JsonObject Data)> Events(DoorTranslation door, IEnumerable<string> chatPieces, bool fail = false)
    {
        using var stream = door.Stream();
        var output = new ArrayBufferWriter<byte>();
        stream.Start(output);
        foreach (var piece in chatPieces)
        {
            stream.Push(Encoding.UTF8.GetBytes(piece), output);
        }

        if (fail)
        {
            stream.Fail("cut off", output);
        }
        else
        {
            stream.Complete(output);
        }

        var events = new List<(string, JsonObject)>();
        foreach (var block in Encoding.UTF8.GetString(output.WrittenSpan).Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var lines = block.Split('\n');
            Assert.Equal(2, lines.Length);
            Assert.StartsWith("event: ", lines[0], StringComparison.Ordinal);
            Assert.StartsWith("data: ", lines[1], StringComparison.Ordinal);
            events.Add((lines[0][7..], (JsonObject)JsonNode.Parse(lines[1][6..])!));
        }

        return events;
    }

    public static string Chunk(string delta, string? finish = null) =>
        $"data: {{\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":[{{\"index\":0,\"delta\":{delta},\"finish_reason\":{(finish is null ? "null" : "\"" + finish + "\"")}}}]}}\n\n";

    public static string Usage(int prompt, int completion, int cached = 0, int reasoning = 0) =>
        $"data: {{\"id\":\"c1\",\"choices\":[],\"usage\":{{\"prompt_tokens\":{prompt},\"completion_tokens\":{completion},\"total_tokens\":{prompt + completion},\"prompt_tokens_details\":{{\"cached_tokens\":{cached}}},\"completion_tokens_details\":{{\"reasoning_tokens\":{reasoning}}}}}}}\n\n";

    public const string Done = "data: [DONE]\n\n";

    public static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    public static string Text(JsonNode? node) => node!.ToJsonString(new JsonSerializerOptions { WriteIndented = false });
}
