using System.Text;
using ConformanceRunner.Deflate;
using ConformanceRunner.Wire;

namespace ConformanceRunner.Cases;

/// <summary>
/// One permessage-deflate case of sections 12/13 (wstest's template for both): if the opening handshake did not agree
/// on permessage-deflate, the behavior is UNIMPLEMENTED and the tester closes with 1000. Otherwise COUNT messages of
/// LEN characters (text sets) or octets (binary sets), consecutive slices of the data set (wrapping around), are sent
/// compressed one at a time, each when the previous echo arrived, split in frames of AUTOFRAG octets of compressed data
/// (0 = one frame). Each echo must have the same type, length and content; after the last one the tester closes with
/// 1000 (clean close required). Not finished within WAITSECS → the tester closes and the behavior stays FAILED.
/// </summary>
internal sealed class CompressionCase(CompressionData data, int length, int count, double waitSeconds, int autoFragment) : CaseBase
{
    private int _ptr, _sent;
    private string _agreed = "";
    private byte[] _expected = Array.Empty<byte>();

    public override void OnOpen(TestConnection p)
    {
        p.Log.SetEnabled(false);
        p.AutoFragmentSize = autoFragment;
        Close = ExpectedClose.NormalByMe;
        if (p.Deflate is null)
        {
            Behavior = Verdict.Unimplemented;
            Result = "The peer did not agree to permessage-deflate.";
            p.Log.SetEnabled(true);
            p.SendClose(1000);
            return;
        }
        _agreed = $" (agreed: {p.Deflate.Agreed})";
        Behavior = Verdict.Failed;
        Result = $"The case did not finish within {waitSeconds} s{_agreed}.";
        p.CloseAfter(waitSeconds);
        SendOne(p);
    }

    /// <summary>The next slice: LEN units from the running pointer, wrapping around the end of the data set.</summary>
    internal static byte[] Slice(CompressionData data, ref int ptr, int length)
    {
        if (length == 0) return Array.Empty<byte>();
        int total = data.Length;
        int from = ptr, to = (ptr + length) % total;
        ptr = to;
        if (data.Binary)
        {
            var src = data.Octets!;
            return to > from ? src[from..to] : [.. src[from..], .. src[..to]];
        }
        var text = data.Text!;
        return Encoding.UTF8.GetBytes(to > from ? text[from..to] : text[from..] + text[..to]);
    }

    private void SendOne(TestConnection p)
    {
        _expected = Slice(data, ref _ptr, length);
        p.SendMessage(_expected, data.Binary);
        _sent++;
    }

    public override void OnMessage(TestConnection p, byte[] payload, bool binary)
    {
        int units = binary || data.Binary ? payload.Length : Encoding.UTF8.GetCharCount(payload);
        string? wrong = null;
        if (binary != data.Binary) wrong = $"The echo's type differs (binary = {binary}, sent binary = {data.Binary}).";
        else if (units != length) wrong = $"The echo's length differs ({units} {(binary ? "octets" : "characters")}, sent {length}).";
        else if (!payload.AsSpan().SequenceEqual(_expected)) wrong = $"The echo's content differs from message {_sent} as sent.";
        if (wrong is not null)
        {
            Behavior = Verdict.Failed;
            Result = wrong + _agreed;
            p.Log.SetEnabled(true);
            p.SendClose(1000);
        }
        else if (_sent < count) SendOne(p);
        else
        {
            Behavior = Verdict.Ok;
            Result = $"All {count} echoes arrived in time and equal what was sent{_agreed}.";
            p.Log.SetEnabled(true);
            p.SendClose(1000);
        }
    }

    public override void OnPong(TestConnection p, byte[] payload) { }
}

/// <summary>
/// Sections 12 (permessage-deflate with five kinds of payload, the default offer) and 13 (one payload, seven
/// parameter sets of offer and answer), 18 message size / count / fragment variants each, numbered as wstest does.
/// </summary>
internal static class Section12and13
{
    /// <summary>(message length, message count, case deadline in s, auto-fragment size of the compressed data).</summary>
    internal static readonly (int Length, int Count, double Wait, int Fragment)[] Sizes =
    {
        (16, 1000, 60, 0), (64, 1000, 60, 0), (256, 1000, 120, 0), (1024, 1000, 240, 0), (4096, 1000, 480, 0),
        (8192, 1000, 480, 0), (16384, 1000, 480, 0), (32768, 1000, 480, 0), (65536, 1000, 480, 0), (131072, 1000, 480, 0),
        (8192, 1000, 480, 256), (16384, 1000, 480, 256), (32768, 1000, 480, 256), (65536, 1000, 480, 256), (131072, 1000, 480, 256),
        (131072, 1000, 480, 1024), (131072, 1000, 480, 4096), (131072, 1000, 480, 32768),
    };

    // The servers' answers of section 13 (wstest's accept1..accept7): each takes the first offer that allows it.
    private static DeflateOfferAccept? AcceptPlain(IReadOnlyList<DeflateOffer> offers)
        => offers.Count > 0 ? new DeflateOfferAccept(offers[0]) : null;

    private static DeflateOfferAccept? AcceptNoContext(IReadOnlyList<DeflateOffer> offers)
    {
        foreach (var o in offers)
            if (o.AcceptNoContextTakeover) return new DeflateOfferAccept(o, RequestNoContextTakeover: true);
        return null;
    }

    private static Func<IReadOnlyList<DeflateOffer>, DeflateOfferAccept?> AcceptWindow(int bits, bool noContext) => offers =>
    {
        foreach (var o in offers)
            if (o.AcceptMaxWindowBits && (!noContext || o.AcceptNoContextTakeover))
                return new DeflateOfferAccept(o, RequestNoContextTakeover: noContext, RequestMaxWindowBits: bits);
        return null;
    };

    private static DeflateOfferAccept? AcceptPreferred(IReadOnlyList<DeflateOffer> offers)
        => AcceptWindow(9, true)(offers) ?? AcceptNoContext(offers) ?? AcceptPlain(offers);

    private static readonly DeflateSetup[] Parameters =
    {
        new(new[] { new DeflateOffer() }, AcceptPlain, "[(False, 0)]", "accept as offered"),
        new(new[] { new DeflateOffer(RequestNoContextTakeover: true) }, AcceptNoContext, "[(True, 0)]", "accept, requesting client_no_context_takeover"),
        new(new[] { new DeflateOffer(RequestMaxWindowBits: 9) }, AcceptWindow(9, false), "[(False, 9)]", "accept, requesting client_max_window_bits=9"),
        new(new[] { new DeflateOffer(RequestMaxWindowBits: 15) }, AcceptWindow(15, false), "[(False, 15)]", "accept, requesting client_max_window_bits=15"),
        new(new[] { new DeflateOffer(RequestNoContextTakeover: true, RequestMaxWindowBits: 9) }, AcceptWindow(9, true), "[(True, 9)]", "accept, requesting client_no_context_takeover and client_max_window_bits=9"),
        new(new[] { new DeflateOffer(RequestNoContextTakeover: true, RequestMaxWindowBits: 15) }, AcceptWindow(15, true), "[(True, 15)]", "accept, requesting client_no_context_takeover and client_max_window_bits=15"),
        new(new[] { new DeflateOffer(RequestNoContextTakeover: true, RequestMaxWindowBits: 9), new DeflateOffer(RequestNoContextTakeover: true), new DeflateOffer() },
            AcceptPreferred, "[(True, 9), (True, 0), (False, 0)]", "the first that applies of: (no context, window 9), (no context), as offered"),
    };

    private static CaseDef Make(string id, CompressionData data, DeflateSetup setup, string how, (int Length, int Count, double Wait, int Fragment) s)
    {
        string unit = data.Binary ? "octets" : "characters";
        string frag = s.Fragment == 0 ? "one frame per message" : $"compressed data split in frames of {s.Fragment} octets";
        return new CaseDef(id,
            $"{s.Count} compressed {(data.Binary ? "binary" : "text")} messages of {s.Length} {unit} ({data.Description}), {frag}; {how}.",
            $"Every message comes back as sent, within {s.Wait} s; then a clean close with 1000. A peer without permessage-deflate: UNIMPLEMENTED.",
            () => new CompressionCase(data, s.Length, s.Count, s.Wait, s.Fragment))
        { Deflate = setup };
    }

    public static IEnumerable<CaseDef> Cases()
    {
        var all = CompressionData.All;
        for (int j = 0; j < all.Count; j++)
            for (int i = 0; i < Sizes.Length; i++)
                yield return Make($"12.{j + 1}.{i + 1}", all[j], Parameters[0], "default offer (permessage-deflate; client_no_context_takeover; client_max_window_bits)", Sizes[i]);
        for (int j = 0; j < Parameters.Length; j++)
        {
            var p = Parameters[j];
            for (int i = 0; i < Sizes.Length; i++)
                yield return Make($"13.{j + 1}.{i + 1}", CompressionData.Json, p,
                    $"client offers (server_no_context_takeover, server_max_window_bits) {p.OfferText} = \"{DeflateOffer.ToHeader(p.Offers)}\"; server: {p.AcceptText}", Sizes[i]);
        }
    }
}
