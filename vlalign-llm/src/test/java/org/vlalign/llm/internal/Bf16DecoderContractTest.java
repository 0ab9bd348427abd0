package org.vlalign.llm.internal;

import org.vlalign.WeightFormat;

class Bf16DecoderContractTest extends JvmDecoderContractTest {
    @Override
    protected WeightFormat format() {
        return WeightFormat.BF16;
    }
}
