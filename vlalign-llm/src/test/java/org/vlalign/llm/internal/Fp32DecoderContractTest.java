package org.vlalign.llm.internal;

import org.vlalign.WeightFormat;

class Fp32DecoderContractTest extends JvmDecoderContractTest {
    @Override
    protected WeightFormat format() {
        return WeightFormat.FP32;
    }
}
