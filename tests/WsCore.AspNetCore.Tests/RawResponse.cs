using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace WsCore.AspNetCore.Tests;

/// <summary>An HTTP/1.1 response read off a socket: status, headers (names case-insensitive), body (Content-Length bytes).</summary>
public sealed class RawResponse
{
    public int Status { get; private init; }
    public Dictionary<string, string> Headers { get; } = new(StringComparer.OrdinalIgnoreCase);
    public string Body { get; private init; } = "";

    public string? Header(string name) => Headers.TryGetValue(name, out string? v) ? v : null;

    public static bool TryParse(byte[] data, [NotNullWhen(true)] out RawResponse? response)
    {
        response = null;
        string text = Encoding.Latin1.GetString(data);
        int end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0) return false;
        string[] lines = text.Substring(0, end).Split("\r\n");
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string line in lines.Skip(1))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            string name = line.Substring(0, colon);
            string value = line.Substring(colon + 1).Trim();
            headers[name] = headers.TryGetValue(name, out string? existing) ? existing + ", " + value : value;
        }
        string body = text.Substring(end + 4);
        if (headers.TryGetValue("Content-Length", out string? length))
        {
            int n = int.Parse(length, CultureInfo.InvariantCulture);
            if (body.Length < n) return false;
            body = body.Substring(0, n);
        }
        else if (headers.TryGetValue("Transfer-Encoding", out string? te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            if (!body.EndsWith("0\r\n\r\n", StringComparison.Ordinal)) return false;
            body = Dechunk(body);
        }
        response = new RawResponse { Status = int.Parse(lines[0].Split(' ')[1], CultureInfo.InvariantCulture), Body = body };
        foreach (KeyValuePair<string, string> h in headers) response.Headers[h.Key] = h.Value;
        return true;
    }

    private static string Dechunk(string body)
    {
        var result = new StringBuilder();
        int i = 0;
        while (true)
        {
            int lineEnd = body.IndexOf("\r\n", i, StringComparison.Ordinal);
            int size = int.Parse(body.AsSpan(i, lineEnd - i), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (size == 0) return result.ToString();
            result.Append(body, lineEnd + 2, size);
            i = lineEnd + 2 + size + 2;
        }
    }
}
