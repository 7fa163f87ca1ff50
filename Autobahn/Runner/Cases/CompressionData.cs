using System.Text;

namespace ConformanceRunner.Cases;

/// <summary>
/// The five payload sources of sections 12/13. wstest reads five files shipped with it (a JSON document, a 512x512
/// greyscale bitmap, Goethe's Faust as plain text, an HTML page, a PDF); those files are not ours to carry, so the
/// runner generates stand-ins of the same kinds, deterministically (fixed seeds), each larger than the biggest message
/// (128 KiB) so that slices behave as in wstest. Text sets (JSON, HTML) are sliced by characters and sent as text
/// messages; the others are sliced by octets and sent as binary messages, as wstest does (its Faust text is binary).
/// What matters for the verdicts is kept: compressible text with non-ASCII characters, a smooth image, and a
/// document whose streams are incompressible.
/// </summary>
internal sealed class CompressionData
{
    public required string Key { get; init; }
    public required string Description { get; init; }
    public required bool Binary { get; init; }
    /// <summary>The text (text sets) — sliced by characters, no surrogate pairs, so characters = code points.</summary>
    public string? Text { get; init; }
    /// <summary>The octets (binary sets).</summary>
    public byte[]? Octets { get; init; }

    public int Length => Binary ? Octets!.Length : Text!.Length;
    public int OctetLength => Binary ? Octets!.Length : Encoding.UTF8.GetByteCount(Text!);

    private static readonly Lazy<CompressionData[]> s_all = new(Build);

    /// <summary>In wstest's order for 12.1..12.5: JSON, bitmap, Faust, HTML, PDF.</summary>
    public static IReadOnlyList<CompressionData> All => s_all.Value;

    public static CompressionData Json => All[0];

    private const int Minimum = 160 * 1024;

    private static CompressionData[] Build() => new[]
    {
        new CompressionData { Key = "json_data1", Description = "JSON document", Binary = false, Text = MakeJson() },
        new CompressionData { Key = "lena512", Description = "512x512 greyscale bitmap", Binary = true, Octets = MakeBitmap() },
        new CompressionData { Key = "gutenberg_faust", Description = "German verse, UTF-8 text sent as binary", Binary = true, Octets = Encoding.UTF8.GetBytes(MakeVerse()) },
        new CompressionData { Key = "html_data1", Description = "HTML page", Binary = false, Text = MakeHtml() },
        new CompressionData { Key = "ooms", Description = "PDF document with incompressible streams", Binary = true, Octets = MakePdf() },
    };

    private static readonly string[] Words =
    {
        "Habe", "nun", "ach", "Philosophie", "Juristerei", "und", "Medizin", "leider", "auch", "Theologie", "durchaus",
        "studiert", "mit", "heißem", "Bemühn", "Da", "steh", "ich", "armer", "Tor", "bin", "so", "klug", "als", "wie",
        "zuvor", "Heiße", "Magister", "Doktor", "gar", "zieh", "schon", "an", "die", "zehen", "Jahr", "herauf", "herab",
        "quer", "krumm", "meine", "Schüler", "der", "Nase", "herum", "sehe", "daß", "wir", "nichts", "wissen", "können",
        "Geist", "Welt", "Natur", "Gretchen", "Mephistopheles", "Straße", "Nacht", "Glück", "Tür", "Öffnung", "Übel",
    };

    private static string MakeVerse()
    {
        var rnd = new Random(1808);
        var sb = new StringBuilder();
        int scene = 1;
        while (Encoding.UTF8.GetByteCount(sb.ToString()) < Minimum)
        {
            sb.Append("\r\n\r\n    SZENE ").Append(scene++).Append(".\r\n\r\n");
            for (int line = 0; line < 60; line++)
            {
                if (line % 12 == 0) sb.Append(rnd.Next(2) == 0 ? "FAUST:\r\n" : "MEPHISTOPHELES:\r\n");
                int n = 4 + rnd.Next(6);
                for (int w = 0; w < n; w++)
                {
                    var word = Words[rnd.Next(Words.Length)];
                    sb.Append(w == 0 ? char.ToUpperInvariant(word[0]) + word[1..] : word);
                    sb.Append(w == n - 1 ? (rnd.Next(3) == 0 ? "!" : ",") : " ");
                }
                sb.Append("\r\n");
            }
        }
        return sb.ToString();
    }

    private static string MakeJson()
    {
        var rnd = new Random(1959);
        string[] cities = { "Berlin", "München", "Zürich", "Köln", "Malmö", "São Paulo", "Kraków", "Reykjavík", "Łódź", "Genève" };
        string[] tags = { "alpha", "beta", "gamma", "delta", "épsilon", "zeta", "ηta", "θeta", "€uro", "naïve" };
        var sb = new StringBuilder("[\n");
        int id = 0;
        while (sb.Length < Minimum)
        {
            if (id > 0) sb.Append(",\n");
            sb.Append("  {\"id\": ").Append(id++)
              .Append(", \"guid\": \"").Append(rnd.Next().ToString("x8")).Append('-').Append(rnd.Next(0x10000).ToString("x4")).Append('-').Append(rnd.Next().ToString("x8")).Append('"')
              .Append(", \"isActive\": ").Append(rnd.Next(2) == 0 ? "true" : "false")
              .Append(", \"balance\": ").Append(rnd.Next(100000) / 100.0)
              .Append(", \"age\": ").Append(18 + rnd.Next(60))
              .Append(", \"city\": \"").Append(cities[rnd.Next(cities.Length)]).Append('"')
              .Append(", \"latitude\": ").Append((rnd.NextDouble() * 180 - 90).ToString("F6", System.Globalization.CultureInfo.InvariantCulture))
              .Append(", \"longitude\": ").Append((rnd.NextDouble() * 360 - 180).ToString("F6", System.Globalization.CultureInfo.InvariantCulture))
              .Append(", \"tags\": [");
            int nt = 1 + rnd.Next(5);
            for (int t = 0; t < nt; t++) sb.Append(t == 0 ? "" : ", ").Append('"').Append(tags[rnd.Next(tags.Length)]).Append('"');
            sb.Append("], \"about\": \"");
            int nw = 8 + rnd.Next(20);
            for (int w = 0; w < nw; w++) sb.Append(w == 0 ? "" : " ").Append(Words[rnd.Next(Words.Length)]);
            sb.Append(".\"}");
        }
        sb.Append("\n]\n");
        return sb.ToString();
    }

    private static string MakeHtml()
    {
        var rnd = new Random(1991);
        var sb = new StringBuilder("<!DOCTYPE html>\n<html lang=\"de\">\n<head><meta charset=\"utf-8\"><title>Übersicht – Straßen &amp; Plätze</title></head>\n<body>\n");
        int section = 0;
        while (sb.Length < Minimum)
        {
            sb.Append("<h2 id=\"s").Append(section).Append("\">Abschnitt ").Append(section++).Append("</h2>\n<p class=\"lead\">");
            int nw = 30 + rnd.Next(40);
            for (int w = 0; w < nw; w++) sb.Append(w == 0 ? "" : " ").Append(Words[rnd.Next(Words.Length)]);
            sb.Append(".</p>\n<table class=\"data\">\n");
            int rows = 3 + rnd.Next(8);
            for (int r = 0; r < rows; r++)
            {
                sb.Append("  <tr><td class=\"k\">").Append(Words[rnd.Next(Words.Length)]).Append("</td><td class=\"v\">")
                  .Append(rnd.Next(10000)).Append("</td><td><a href=\"/wiki/").Append(Words[rnd.Next(Words.Length)]).Append("\">»mehr«</a></td></tr>\n");
            }
            sb.Append("</table>\n");
        }
        sb.Append("</body>\n</html>\n");
        return sb.ToString();
    }

    private static byte[] MakeBitmap()
    {
        const int w = 512, h = 512;
        var rnd = new Random(1972);
        var data = new byte[54 + 1024 + w * h];
        // BITMAPFILEHEADER + BITMAPINFOHEADER, 8 bits per pixel, 256-entry grey palette
        data[0] = (byte)'B'; data[1] = (byte)'M';
        BitConverter.TryWriteBytes(data.AsSpan(2), data.Length);
        BitConverter.TryWriteBytes(data.AsSpan(10), 54 + 1024);
        BitConverter.TryWriteBytes(data.AsSpan(14), 40);
        BitConverter.TryWriteBytes(data.AsSpan(18), w);
        BitConverter.TryWriteBytes(data.AsSpan(22), h);
        BitConverter.TryWriteBytes(data.AsSpan(26), (short)1);
        BitConverter.TryWriteBytes(data.AsSpan(28), (short)8);
        BitConverter.TryWriteBytes(data.AsSpan(34), w * h);
        BitConverter.TryWriteBytes(data.AsSpan(46), 256);
        for (int i = 0; i < 256; i++) { data[54 + 4 * i] = data[55 + 4 * i] = data[56 + 4 * i] = (byte)i; }
        int at = 54 + 1024;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                double v = 128 + 70 * Math.Sin(x / 23.0 + y / 61.0) * Math.Cos(y / 31.0) + 30 * Math.Sin((x + y) / 97.0) + rnd.Next(-6, 7);
                data[at++] = (byte)Math.Clamp((int)v, 0, 255);
            }
        return data;
    }

    private static byte[] MakePdf()
    {
        var rnd = new Random(2005);
        var ms = new MemoryStream();
        void Ascii(string s) => ms.Write(Encoding.ASCII.GetBytes(s));
        Ascii("%PDF-1.4\n%\u00e2\u00e3\n");
        int obj = 1;
        while (ms.Length < Minimum + 64 * 1024)
        {
            Ascii($"{obj} 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {obj + 1} 0 R >>\nendobj\n");
            obj++;
            int len = 2048 + rnd.Next(8192);
            Ascii($"{obj} 0 obj\n<< /Length {len} /Filter /FlateDecode >>\nstream\n");
            var stream = new byte[len];
            rnd.NextBytes(stream);
            ms.Write(stream);
            Ascii("\nendstream\nendobj\n");
            obj++;
        }
        Ascii("trailer\n<< /Root 1 0 R >>\n%%EOF\n");
        return ms.ToArray();
    }
}
